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
import { replicaVerdict } from './diff.js'
import { ReplicaRecords } from './replica-records.js'
import { copyObject, runBounded } from './sync-replica.js'

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
        records: new ReplicaRecords(
          ctx.db,
          bucket,
          { storage_id: r.storage_id, alias },
          { log: ctx.log, observer: ctx.observer },
        ),
      }
    }),
  )
  let failure: { error: unknown } | undefined
  try {
    await runBounded(keys, ctx.copyConcurrency, (key: string) =>
      syncKey(ctx, bucket, key, master, replicas),
    )
  } catch (error) {
    failure = { error }
    for (const r of replicas) ctx.observer.failed(bucket.name, r.alias)
  }
  for (const r of replicas) r.backlog.close()
  // Every replica's records are written; a failure to write does not hide the sync's own.
  const flushed = await Promise.allSettled(replicas.map((r) => r.records.flush()))
  if (failure) throw failure.error
  const unrecorded = flushed.find((f) => f.status === 'rejected')
  if (unrecorded) throw unrecorded.reason
}

async function syncKey(
  ctx: PassContext,
  bucket: BucketRow,
  key: string,
  master: S3Storage,
  replicas: { storage: S3Storage; backlog: Backlog; records: ReplicaRecords }[],
): Promise<void> {
  const entry = await master.stat(bucket.name, key)
  if (!entry) {
    await deleteObjectByName(ctx.db, bucket.bucket_id, key)
    for (const { storage: replica, backlog, records } of replicas) {
      backlog.found(0)
      await replica.removeObject(bucket.name, key)
      await records.removed(key)
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
  for (const { storage: replica, backlog, records } of replicas) {
    const existing = await replica.stat(bucket.name, key)
    const verdict = replicaVerdict(entry, existing, await records.get(key))
    if (verdict === 'same') continue
    if (verdict === 'adopt' && existing) {
      await records.copied(key, entry, existing.etag)
      continue
    }
    backlog.found(entry.size)
    const copied = await copyObject(bucket.name, key, master, replica, ctx.stats)
    if (copied) {
      await records.copied(key, copied.entry, copied.etag)
      if (verdict === 'repair') records.repaired(key)
    }
    backlog.done(entry.size, copied !== undefined)
  }
}
