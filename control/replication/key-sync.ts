/**
 * The event path: a change to some objects of a master copy (from a webhook, the event stream,
 * or an upload through FaDO) is applied to just those objects — index row, and each replica
 * that is already in sync. Replicas still syncing get them with their full pass.
 */
import type { BucketRow } from '../db/buckets.js'
import type { S3Storage } from '../storage/s3.js'
import { deleteObjectByName, upsertObject } from '../db/objects.js'
import { listStorageDeployments } from '../db/storage-deployments.js'
import { Backlog } from './observer.js'
import type { PassContext } from './pass-context.js'
import { copyObject, runBounded, SOURCE_ETAG_META } from './sync-bucket.js'

export async function syncKeys(
  ctx: PassContext,
  bucket: BucketRow,
  keys: Iterable<string>,
  /** When the change was seen (ms): lag is measured from here. */
  since = Date.now(),
): Promise<void> {
  const master = await ctx.storages.get(bucket.storage_id)
  const aliases = new Map(
    (await listStorageDeployments(ctx.db)).map((s) => [s.storage_id, s.alias]),
  )
  const replicas = await Promise.all(
    bucket.replicas.map(async (r) => {
      const alias = aliases.get(r.storage_id) ?? String(r.storage_id)
      return {
        storage: await ctx.storages.get(r.storage_id),
        alias,
        backlog: new Backlog(ctx.observer, bucket.name, alias, since),
      }
    }),
  )
  try {
    await runBounded(keys, ctx.copyConcurrency, (key: string) =>
      syncKey(ctx, bucket, key, master, replicas),
    )
  } catch (err) {
    for (const r of replicas) ctx.observer.failed(bucket.name, r.alias)
    throw err
  } finally {
    for (const r of replicas) r.backlog.close()
  }
}

async function syncKey(
  ctx: PassContext,
  bucket: BucketRow,
  key: string,
  master: S3Storage,
  replicas: { storage: S3Storage; backlog: Backlog }[],
): Promise<void> {
  const entry = await master.stat(bucket.name, key)
  if (!entry) {
    await deleteObjectByName(ctx.db, bucket.bucket_id, key)
    for (const { storage: replica, backlog } of replicas) {
      backlog.found(0)
      await replica.removeObject(bucket.name, key)
      ctx.stats.objects_deleted++
      backlog.done(0, true)
    }
    return
  }
  await upsertObject(ctx.db, {
    bucket_id: bucket.bucket_id,
    name: key,
    size: entry.size,
    etag: entry.etag,
    last_modified: entry.last_modified,
  })
  for (const { storage: replica, backlog } of replicas) {
    const existing = await replica.stat(bucket.name, key)
    const same =
      existing &&
      existing.size === entry.size &&
      (existing.etag === entry.etag || existing.metadata[SOURCE_ETAG_META] === entry.etag)
    if (same) continue
    backlog.found(entry.size)
    backlog.done(entry.size, await copyObject(bucket.name, key, master, replica, ctx.stats))
  }
}
