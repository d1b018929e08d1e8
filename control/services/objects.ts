/**
 * Objects (thesis §5.3.2): writes go to the master copy, are recorded, and reach replicas through
 * the reconciler (key-only pass); reads come from the master, else from a synced replica.
 */
import type { Readable } from 'node:stream'
import type { BucketRow } from '../db/buckets.js'
import { deleteObjectByName, upsertObject, type ObjectRow } from '../db/objects.js'
import { notFound, storageFailed } from '../lib/errors.js'
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
