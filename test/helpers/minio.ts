/** Real MinIO servers for tests; a missing binary fails loudly with the command that installs it. */
import {
  MINIO_INSTALL_HINT,
  minioPath,
  startMinioServer,
  type MinioServer,
  type WebhookTarget,
} from '../../control/demo/minio-server.js'

import {
  SEAWEED_INSTALL_HINT,
  startSeaweedServer,
  weedPath,
  type SeaweedServer,
} from '../../control/demo/seaweed-server.js'

export { MINIO_PASSWORD, MINIO_USER, type WebhookTarget } from '../../control/demo/minio-server.js'
export type TestMinio = MinioServer

export function requireMinio(): string {
  const bin = minioPath()
  if (!bin) throw new Error(`MinIO server binary not found. Install it with: ${MINIO_INSTALL_HINT}`)
  return bin
}

export const startMinio = (webhook?: WebhookTarget): Promise<TestMinio> =>
  startMinioServer({ bin: requireMinio(), webhook })

export const startMinios = (n: number, webhook?: WebhookTarget): Promise<TestMinio[]> =>
  Promise.all(Array.from({ length: n }, () => startMinio(webhook)))

/** A real SeaweedFS server (weed mini) for tests; a missing binary fails with the install command. */
export function startSeaweed(opts: { domain?: string } = {}): Promise<SeaweedServer> {
  const bin = weedPath()
  if (!bin)
    throw new Error(`SeaweedFS (weed) is not installed. Install it with: ${SEAWEED_INSTALL_HINT}`)
  return startSeaweedServer({ bin, ...opts })
}
