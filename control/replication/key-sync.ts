/**
 * The event path: a change to some objects of a master copy (from a webhook, the event stream,
 * or an upload through FaDO) is applied to just those objects — index row, and each replica
 * that is already in sync. Replicas still syncing get them with their full pass.
 */
import type { BucketRow } from '../db/buckets.js'
import { deleteObjectByName, upsertObject } from '../db/objects.js'
import type { PassContext } from './pass-context.js'
import { copyObject, runBounded, SOURCE_ETAG_META } from './sync-bucket.js'

export async function syncKeys(
  ctx: PassContext,
  bucket: BucketRow,
  keys: Iterable<string>,
): Promise<void> {
  const master = await ctx.storages.get(bucket.storage_id)
  const replicas = await Promise.all(bucket.replicas.map((r) => ctx.storages.get(r.storage_id)))
  await runBounded(keys, ctx.copyConcurrency, async (key: string) => {
    const entry = await master.stat(bucket.name, key)
    if (!entry) {
      await deleteObjectByName(ctx.db, bucket.bucket_id, key)
      for (const replica of replicas) {
        await replica.removeObject(bucket.name, key)
        ctx.stats.objects_deleted++
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
    for (const replica of replicas) {
      const existing = await replica.stat(bucket.name, key)
      const same =
        existing &&
        existing.size === entry.size &&
        (existing.etag === entry.etag || existing.metadata[SOURCE_ETAG_META] === entry.etag)
      if (!same) await copyObject(bucket.name, key, master, replica, ctx.stats)
    }
  })
}
