/**
 * A full reconcile pass over one bucket: plan its replicas → drop unwanted replica copies →
 * check the master and subscribe it to change notifications → list the master once, a key range
 * at a time (in a worker thread for a large bucket), refreshing the object index and comparing
 * every wanted replica's listing of the same range as it goes, copying or deleting only what
 * differs (sync-replica.ts) → record each replica's status (syncing / synced / error + reason)
 * and its full pass. Throws after recording when something failed, so the queue retries it.
 */
import {
  addReplica,
  recordFullPass,
  removeReplica,
  setReplicaStatus,
  type BucketRow,
  type ReplicaStatus,
} from '../db/buckets.js'
import { listClusters } from '../db/clusters.js'
import { listStorageDeployments } from '../db/storage-deployments.js'
import type { S3Storage } from '../storage/s3.js'
import { ObjectIndex } from './object-index.js'
import { aliasLookup, openReplica, type OpenReplica, type PassContext } from './pass-context.js'
import { planReplicas, type PlanInput, type ReplicaPlan } from './plan.js'
import { comparePages, startReplicaSync, type ReplicaSync } from './sync-replica.js'
import { localFeed, MasterListingError, type RangeFeed } from './range-listing.js'
import { workerFeed } from './listing-worker.js'
import { batchBounds } from './copy.js'

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err))

/** Where a bucket's replicas belong now (plan.ts), given the deployments and clusters. */
export function bucketPlan(
  bucket: BucketRow,
  storages: PlanInput['storages'],
  clusters: PlanInput['clusters'],
): ReplicaPlan {
  return planReplicas({
    bucket,
    storages,
    clusters,
    current: bucket.replicas.map((r) => r.storage_id),
    demand: bucket.demand?.enabled ? bucket.demand_replicas.map((d) => d.storage_id) : [],
  })
}

export async function fullPass(ctx: PassContext, bucket: BucketRow): Promise<void> {
  const storages = await listStorageDeployments(ctx.db)
  const clusters = await listClusters(ctx.db)
  const plan = bucketPlan(bucket, storages, clusters)
  let routesChanged = false
  const errors: string[] = []
  const started = Date.now()
  const alias = aliasLookup(storages)
  const mark = async (storageId: number, status: ReplicaStatus, error: string | null = null) => {
    if (await setReplicaStatus(ctx.db, bucket.bucket_id, storageId, status, error))
      routesChanged = true
  }

  /** Every wanted replica is marked failed with the master's reason; the error to throw. */
  const masterUnavailable = async (err: unknown) => {
    const reason = `master unavailable: ${message(err)}`
    for (const storageId of plan.desired) {
      ctx.observer.failed(bucket.name, alias(storageId))
      await mark(storageId, 'error', reason)
    }
    return new Error(reason, { cause: err })
  }

  try {
    for (const storageId of plan.remove) {
      try {
        await (await ctx.storages.get(storageId)).removeBucket(bucket.name)
        await removeReplica(ctx.db, bucket.bucket_id, storageId)
        routesChanged = true
      } catch (err) {
        // Keep the row (so the removal is retried) but stop routing to it.
        await mark(storageId, 'error', `removal pending: ${message(err)}`)
        errors.push(`remove replica on ${storageId}: ${message(err)}`)
      }
    }
    for (const storageId of plan.add) await addReplica(ctx.db, bucket.bucket_id, storageId)

    let master: S3Storage
    try {
      master = await ctx.storages.get(bucket.storage_id)
      if (!(await master.bucketExists(bucket.name)))
        throw new Error(`master bucket ${bucket.name} is missing on its storage`)
      const masterRow = storages.find((s) => s.storage_id === bucket.storage_id)
      if (masterRow) await ctx.notifications.ensure(bucket, masterRow, master)
    } catch (err) {
      throw await masterUnavailable(err)
    }

    const current = new Map(bucket.replicas.map((r) => [r.storage_id, r.status]))
    const fail = async (storageId: number, err: unknown) => {
      ctx.observer.failed(bucket.name, alias(storageId))
      await mark(storageId, 'error', message(err))
      errors.push(`replica on ${storageId}: ${message(err)}`)
    }
    const opened: { storageId: number; replica: OpenReplica; sync: ReplicaSync }[] = []
    try {
      for (const storageId of plan.desired) {
        let replica: OpenReplica | undefined
        try {
          replica = await openReplica(
            ctx,
            bucket,
            storageId,
            alias(storageId),
            started,
            master,
            batchBounds(ctx.copyConcurrency),
          )
          if (replica.waiting !== undefined) {
            // Not a failure: the bucket asked for it. An agent's arrival schedules another pass.
            await mark(storageId, 'waiting', replica.waiting)
            replica.backlog.close()
            continue
          }
          if (current.get(storageId) !== 'synced' && current.get(storageId) !== 'syncing')
            await mark(storageId, 'syncing')
          await replica.storage.makeBucket(bucket.name)
          const sync = startReplicaSync({
            bucket: bucket.name,
            replica: replica.storage,
            copier: replica.copier,
            stats: ctx.stats,
            concurrency: ctx.copyConcurrency,
            records: replica.records,
            backlog: replica.backlog,
          })
          sync.done.catch(() => {}) // awaited below, after the comparison
          opened.push({ storageId, replica, sync })
        } catch (err) {
          replica?.backlog.close()
          await fail(storageId, err)
        }
      }
      // The master is listed once: the index and every replica compare against each range of it,
      // listed in a worker thread when the bucket is large (range-listing.ts).
      const listings = opened.map((o) => o.replica.storage)
      let feed: RangeFeed
      try {
        feed =
          bucket.object_count >= ctx.listingWorkerFrom
            ? workerFeed(bucket.name, master, listings)
            : localFeed(
                master.listPages(bucket.name),
                listings.map((l) => l.listPages(bucket.name)),
              )
      } catch (err) {
        for (const o of opened) o.sync.comparison.finish(err)
        throw err
      }
      try {
        await comparePages(
          feed,
          new ObjectIndex(ctx.db, bucket.bucket_id),
          opened.map((o) => o.sync.comparison),
        )
      } catch (err) {
        if (err instanceof MasterListingError) throw await masterUnavailable(err.cause ?? err)
        throw err
      }
    } finally {
      for (const { storageId, replica, sync } of opened) {
        try {
          const { compared } = await sync.done
          await mark(storageId, 'synced')
          await recordFullPass(ctx.db, bucket.bucket_id, storageId, {
            durationMs: Date.now() - started,
            objects: compared,
          })
        } catch (err) {
          if (!(err instanceof MasterListingError)) await fail(storageId, err)
        } finally {
          replica.backlog.close()
        }
      }
    }
  } finally {
    if (routesChanged) ctx.routesChanged()
  }
  if (errors.length > 0) throw new Error(`${bucket.name}: ${errors.join('; ')}`)
}
