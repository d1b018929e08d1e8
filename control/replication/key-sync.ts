/**
 * The event path: a change to some objects of a master copy (from a webhook, the event stream,
 * or an upload through FaDO) is applied to just those objects — index row, and each replica
 * that is already in sync. Replicas still syncing get them with their full pass.
 */
import type { BucketRow } from '../db/buckets.js'
import type { S3Storage } from '../storage/s3.js'
import { deleteObjectByName, upsertObject } from '../db/objects.js'
import { listStorageDeployments } from '../db/storage-deployments.js'
import { runBounded } from '../lib/concurrency.js'
import { actionFor, type ReplicaAction } from './actions.js'
import { applyAction, backlogBytes } from './apply.js'
import { batchBounds } from './copy.js'
import { aliasLookup, openReplica, type OpenReplica, type PassContext } from './pass-context.js'

export async function syncKeys(
  ctx: PassContext,
  bucket: BucketRow,
  keys: Iterable<string>,
  /** When the change was seen (ms): lag is measured from here. */
  since = Date.now(),
): Promise<void> {
  const master = await ctx.storages.get(bucket.storage_id)
  const alias = aliasLookup(await listStorageDeployments(ctx.db))
  const batches = batchBounds(ctx.copyConcurrency)
  const replicas = await Promise.all(
    bucket.replicas.map((r) =>
      openReplica(ctx, bucket, r.storage_id, alias(r.storage_id), since, master, batches),
    ),
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
  replicas: OpenReplica[],
): Promise<void> {
  const entry = await master.stat(bucket.name, key)
  if (entry) {
    await upsertObject(ctx.db, {
      bucket_id: bucket.bucket_id,
      name: key,
      size: entry.size,
      etag: entry.etag,
      last_modified: entry.last_modified,
    })
  } else {
    await deleteObjectByName(ctx.db, bucket.bucket_id, key)
  }
  for (const { storage: replica, backlog, records, copier, waiting } of replicas) {
    // Its bytes wait for an agent: the next full pass finds the key (and the agent, if one came).
    if (waiting !== undefined) continue
    // The master no longer has it: gone from every replica, whatever the replica holds.
    const action: ReplicaAction | undefined = entry
      ? actionFor(key, entry, await replica.stat(bucket.name, key), await records.get(key))
      : { op: 'delete', key }
    if (!action) continue
    if (action.op !== 'adopt') backlog.found(backlogBytes(action))
    await applyAction(action, {
      bucket: bucket.name,
      replica,
      copier,
      stats: ctx.stats,
      records,
      backlog,
    })
  }
}
