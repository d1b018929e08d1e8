/** Real MinIO servers for tests; a missing binary fails loudly with the command that installs it. */
import { createHash } from 'node:crypto'
import { encryptAdminBody } from '../../control/storage/madmin.js'
import { encodeRfc3986 } from '../../control/storage/transport.js'
import {
  MINIO_INSTALL_HINT,
  MINIO_PASSWORD,
  minioPath,
  startMinioServer,
  type MinioServer,
  type WebhookTarget,
} from '../../platform/minio-server.js'
import {
  SEAWEED_INSTALL_HINT,
  startSeaweedServer,
  weedPath,
  type SeaweedServer,
} from '../../platform/seaweed-server.js'

export { MINIO_PASSWORD, MINIO_USER, type WebhookTarget } from '../../platform/minio-server.js'
export type TestMinio = MinioServer

export function requireMinio(): string {
  const bin = minioPath()
  if (!bin) throw new Error(`MinIO server binary not found. Install it with: ${MINIO_INSTALL_HINT}`)
  return bin
}

export const startMinio = (
  webhook?: WebhookTarget,
  env?: Record<string, string>,
): Promise<TestMinio> => startMinioServer({ bin: requireMinio(), webhook, ...(env ? { env } : {}) })

/** n MinIO servers; `webhooks[i]`, when given, is server i's webhook target (id FADO). */
export const startMinios = (n: number, webhooks?: WebhookTarget[]): Promise<TestMinio[]> =>
  Promise.all(Array.from({ length: n }, (_, i) => startMinio(webhooks?.[i])))

/** A real SeaweedFS server (weed mini) for tests; a missing binary fails with the install command. */
export function startSeaweed(opts: { domain?: string } = {}): Promise<SeaweedServer> {
  const bin = weedPath()
  if (!bin)
    throw new Error(`SeaweedFS (weed) is not installed. Install it with: ${SEAWEED_INSTALL_HINT}`)
  return startSeaweedServer({ bin, ...opts })
}

/**
 * Adds a user with one of MinIO's built-in policies (e.g. `readwrite`: every S3 action, no admin
 * right) through the admin API, as `mc admin user add` + `mc admin policy attach` do.
 */
export async function addMinioUser(
  minio: TestMinio,
  user: { accessKey: string; secretKey: string; policy: string },
): Promise<void> {
  const admin = minio.storage()
  const body = encryptAdminBody(
    MINIO_PASSWORD,
    JSON.stringify({ secretKey: user.secretKey, status: 'enabled' }),
  )
  const added = await admin.signed(
    'PUT',
    `/minio/admin/v3/add-user?accessKey=${encodeRfc3986(user.accessKey)}`,
    { body, payloadHash: createHash('sha256').update(body).digest('hex') },
  )
  if (added.statusCode !== 200) throw new Error(`add-user: ${await added.body.text()}`)
  const attached = await admin.signed(
    'PUT',
    `/minio/admin/v3/set-user-or-group-policy?isGroup=false&policyName=${user.policy}&userOrGroup=${encodeRfc3986(user.accessKey)}`,
  )
  if (attached.statusCode !== 200) throw new Error(`set policy: ${await attached.body.text()}`)
}
