/**
 * Objects (thesis §5.3.2): writes go to the master copy, are recorded, and reach replicas through
 * the reconciler (key-only pass); reads come from the master, else from a synced replica.
 */
import type { Readable } from 'node:stream'
import type { BucketRow } from '../db/buckets.js'
import { deleteObjectByName, upsertObject, type ObjectRow } from '../db/objects.js'
import { notFound, storageFailed } from '../lib/errors.js'
import { listStorageDeployments } from '../db/storage-deployments.js'
import type { ObjectStream } from '../storage/types.js'
import type { ServiceDeps } from './deps.js'

/** Streams `body` (exactly `size` bytes) into the master copy and records the object. */
export async function storeObject(
  deps: ServiceDeps,
  bucket: BucketRow,
  key: string,
  body: Readable,
  size: number,
  contentType: string,
  /** Turns a failure into the error to report (e.g. the client hung up mid-body). */
  explain: (err: unknown) => unknown = (err) => err,
): Promise<ObjectRow> {
  const master = await deps.storages.get(bucket.storage_id)
  let etag: string
  try {
    etag = await master.putObject(bucket.name, key, body, size, { contentType })
  } catch (err) {
    body.destroy()
    const explained = explain(err)
    throw explained === err ? storageFailed(`cannot store ${bucket.name}/${key}`, err) : explained
  }
  const row = await upsertObject(deps.db, {
    bucket_id: bucket.bucket_id,
    name: key,
    size,
    etag,
    last_modified: new Date(),
  })
  await deps.changes.record({ objects: [{ bucketId: bucket.bucket_id, keys: [key] }] })
  return row
}

/** Opens the object on the master, else on a synced replica. */
export async function openObject(
  deps: ServiceDeps,
  bucket: BucketRow,
  key: string,
): Promise<ObjectStream> {
  const sources = [
    bucket.storage_id,
    ...bucket.replicas.filter((r) => r.status === 'synced').map((r) => r.storage_id),
  ]
  let firstError: unknown
  for (const storageId of sources) {
    try {
      return await (await deps.storages.get(storageId)).getObject(bucket.name, key)
    } catch (err) {
      if ((err as { kind?: string }).kind === 'not_found')
        throw notFound('object', `${bucket.name}/${key}`)
      firstError ??= err
    }
  }
  throw storageFailed(`cannot read ${bucket.name}/${key}`, firstError)
}

export async function removeObject(deps: ServiceDeps, bucket: BucketRow, key: string) {
  try {
    await (await deps.storages.get(bucket.storage_id)).removeObject(bucket.name, key)
  } catch (err) {
    throw storageFailed(`cannot delete ${bucket.name}/${key}`, err)
  }
  await deleteObjectByName(deps.db, bucket.bucket_id, key)
  await deps.changes.record({ objects: [{ bucketId: bucket.bucket_id, keys: [key] }] })
}

/** How long a pre-signed URL lasts unless the caller says, and at most (S3's own limit), in seconds. */
export const URL_EXPIRY = { default: 900, max: 604_800 }

/**
 * A pre-signed GET of the object's copy in cluster `clusterId` when that cluster holds a synced
 * copy, else of the master's: the caller then reads the bytes from the storage, not through FaDO.
 */
export async function objectUrl(
  deps: ServiceDeps,
  bucket: BucketRow,
  key: string,
  opts: { clusterId: number | undefined; expiresSeconds: number },
): Promise<{ url: string; clusterId: number }> {
  const clusterOf = new Map(
    (await listStorageDeployments(deps.db)).map((s) => [s.storage_id, s.cluster_id]),
  )
  const copies = [
    bucket.storage_id,
    ...bucket.replicas.filter((r) => r.status === 'synced').map((r) => r.storage_id),
  ]
  const storageId =
    copies.find((id) => opts.clusterId !== undefined && clusterOf.get(id) === opts.clusterId) ??
    bucket.storage_id
  const storage = await deps.storages.get(storageId)
  return {
    url: storage.presignedUrl('GET', bucket.name, key, opts.expiresSeconds),
    clusterId: clusterOf.get(storageId) ?? 0,
  }
}

/** What a client sends to write an object straight to the master. */
export type UploadUrls =
  | { method: 'PUT'; url: string }
  | {
      method: 'multipart'
      upload_id: string
      part_bytes: number
      parts: { part_number: number; url: string }[]
      complete: { method: 'POST'; url: string }
      abort: { method: 'DELETE'; url: string }
    }

/**
 * Pre-signed URLs to write `key` on the bucket's master: one PUT, or — when `size` is over the
 * master's multipart threshold — a multipart upload started here, its parts and its completion.
 * FaDO learns of the object as of any direct write to a master (events, webhook, listing).
 */
export async function uploadUrls(
  deps: ServiceDeps,
  bucket: BucketRow,
  key: string,
  opts: { size: number | undefined; contentType: string; expiresSeconds: number },
): Promise<UploadUrls> {
  const master = await deps.storages.get(bucket.storage_id)
  const { size, expiresSeconds } = opts
  if (size === undefined || size <= master.multipart.thresholdBytes)
    return { method: 'PUT', url: master.presignedUrl('PUT', bucket.name, key, expiresSeconds) }
  let uploadId: string
  try {
    uploadId = await master.startMultipart(bucket.name, key, opts.contentType)
  } catch (err) {
    throw storageFailed(`cannot start an upload of ${bucket.name}/${key}`, err)
  }
  const m = master.presignedMultipart(bucket.name, key, { uploadId, size }, expiresSeconds)
  return {
    method: 'multipart',
    upload_id: m.upload_id,
    part_bytes: m.part_bytes,
    parts: m.parts,
    complete: { method: 'POST', url: m.complete_url },
    abort: { method: 'DELETE', url: m.abort_url },
  }
}
