/** Which server a storage deployment is, whatever address or kind it is tracked under. */
import { randomUUID } from 'node:crypto'
import { Readable } from 'node:stream'
import { serverInfo } from './admin-api.js'
import type { S3Storage } from './s3.js'

/** Where FaDO keeps a server's identity marker (an object; see S3Storage.identify). */
export const IDENTITY_BUCKET = 'fado-identity'
const IDENTITY_KEY = 'deployment-id'

/**
 * Who this server is, so one server tracked twice is recognised — also once as 'minio' and once
 * as 's3' under another address. `deploymentId` is what FaDO records; `identities` are every name
 * the server goes by, to compare with what is tracked already:
 * - with an admin API: its own deployment id, and the marker object (see below) — written with
 *   that id if there is none, so a later 's3' tracking of the same server finds it (a marker
 *   left by an earlier 's3' tracking is one more name; claimMarker replaces it once tracked);
 * - without: the marker, an object FaDO writes in a bucket of its own on first tracking
 *   (`fado-s3-<uuid>`), read back.
 */
export async function identify(
  s: S3Storage,
): Promise<{ deploymentId: string; identities: string[]; sqsArns: string[] }> {
  if (s.capabilities.adminApi) {
    const info = await serverInfo(s)
    const marker = await readMarker(s, info.deploymentId)
    return { ...info, identities: [...new Set([info.deploymentId, marker])] }
  }
  const marker = await readMarker(s, `fado-s3-${randomUUID()}`)
  return { deploymentId: marker, identities: [marker], sqsArns: [] }
}

/** Makes the identity marker say `id`. */
export async function claimMarker(s: S3Storage, id: string): Promise<void> {
  if (!(await s.bucketExists(IDENTITY_BUCKET))) await s.makeBucket(IDENTITY_BUCKET)
  const text = Buffer.from(id)
  await s.putObject(IDENTITY_BUCKET, IDENTITY_KEY, Readable.from([text]), text.length, {
    contentType: 'text/plain',
  })
}

/** The identity marker's text; `fresh` is written first when there is none. */
async function readMarker(s: S3Storage, fresh: string): Promise<string> {
  if (!(await s.bucketExists(IDENTITY_BUCKET)) || !(await s.stat(IDENTITY_BUCKET, IDENTITY_KEY)))
    await claimMarker(s, fresh)
  const { body } = await s.getObject(IDENTITY_BUCKET, IDENTITY_KEY)
  let text = ''
  for await (const chunk of body) text += String(chunk)
  return text.trim()
}
