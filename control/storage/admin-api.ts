/** MinIO's admin API: server info (identity, notification targets), configuration, restart. */
import { createHash } from 'node:crypto'
import { answerText, StorageError } from './errors.js'
import { encryptAdminBody } from './madmin.js'
import type { S3Storage } from './s3.js'

/**
 * A call to MinIO's admin API; its answer text. A refusal says whether the credentials are wrong
 * or lack the admin right `right`.
 */
async function adminCall(
  s: S3Storage,
  method: 'GET' | 'PUT' | 'POST',
  path: string,
  what: string,
  right: string,
  body?: Buffer,
): Promise<string> {
  const res = await s.signed(method, `/minio/admin/v3/${path}`, {
    ...(body ? { body, payloadHash: createHash('sha256').update(body).digest('hex') } : {}),
  })
  const text = await answerText(res, what)
  if (res.statusCode === 403 || res.statusCode === 401) {
    const code = /<Code>(\w+)<\/Code>|"Code":"(\w+)"/.exec(text)
    const reason = code?.[1] ?? code?.[2] ?? ''
    if (reason === 'InvalidAccessKeyId' || reason === 'SignatureDoesNotMatch') {
      throw new StorageError(`storage rejected the credentials (${reason})`, 'credentials')
    }
    throw new StorageError(`these credentials may not ${what} (${right} is needed)`, 'permission')
  }
  if (res.statusCode !== 200) {
    const detail = /"Message":"([^"]*)"/.exec(text)?.[1] ?? ''
    throw new StorageError(
      `${what} failed with status ${res.statusCode} ${detail}`.trim(),
      'failed',
    )
  }
  return text
}

/**
 * Admin ServerInfo: the deployment id, and the ARNs of the notification targets configured on
 * the server (e.g. arn:minio:sqs::FADO:webhook). Needs admin credentials.
 */
export async function serverInfo(
  s: S3Storage,
): Promise<{ deploymentId: string; sqsArns: string[] }> {
  const text = await adminCall(s, 'GET', 'info', 'read server info', 'admin:ServerInfo')
  const info = JSON.parse(text) as { deploymentID?: string; sqsARN?: string[] }
  if (!info.deploymentID)
    throw new StorageError('server info did not include a deployment id', 'failed')
  return { deploymentId: info.deploymentID, sqsArns: info.sqsARN ?? [] }
}

/**
 * Sets one line of MinIO's server configuration (`subsystem:target key=value …`), as
 * `mc admin config set` does: the body sealed with the secret key (madmin.ts).
 */
export async function setConfig(s: S3Storage, line: string): Promise<void> {
  const body = encryptAdminBody(s.conn.secret_key, line)
  await adminCall(
    s,
    'PUT',
    'set-config-kv',
    'change the server configuration',
    'admin:ConfigUpdate',
    body,
  )
}

/** Restarts the MinIO server (every node), as `mc admin service restart` does. */
export async function restartServer(s: S3Storage): Promise<void> {
  await adminCall(
    s,
    'POST',
    'service?action=restart&type=2',
    'restart the server',
    'admin:ServiceRestart',
  )
}
