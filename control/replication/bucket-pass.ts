/**
 * A full reconcile pass over one bucket: plan its replicas → drop unwanted replica copies →
 * check the master and subscribe it to change notifications → refresh the object index from the
 * master listing → for each wanted replica, merge-join the index and the replica listing and copy or
 * delete only what differs → record each replica's status (syncing / synced / error + reason).
 * Throws after recording when something failed, so the queue retries it.
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
import { indexedEntries, refreshObjectIndex } from './object-index.js'
import { aliasLookup, openReplica, type OpenReplica, type PassContext } from './pass-context.js'
import { planReplicas } from './plan.js'
import { syncReplica } from './sync-replica.js'
import { batchBounds } from './copy.js'

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err))

export async function fullPass(ctx: PassContext, bucket: BucketRow): Promise<void> {
  const storages = await listStorageDeployments(ctx.db)
  const clusters = await listClusters(ctx.db)
  const plan = planReplicas({
    bucket,
    storages,
    clusters,
    current: bucket.replicas.map((r) => r.storage_id),
  })
  let routesChanged = false
  const errors: string[] = []
  const started = Date.now()
  const alias = aliasLookup(storages)
  const mark = async (storageId: number, status: ReplicaStatus, error: string | null = null) => {
    if (await setReplicaStatus(ctx.db, bucket.bucket_id, storageId, status, error))
      routesChanged = true
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
      await refreshObjectIndex(ctx.db, bucket.bucket_id, master.listObjects(bucket.name))
    } catch (err) {
      const reason = `master unavailable: ${message(err)}`
      for (const storageId of plan.desired) {
        ctx.observer.failed(bucket.name, alias(storageId))
        await mark(storageId, 'error', reason)
      }
      throw new Error(reason, { cause: err })
    }

    const current = new Map(bucket.replicas.map((r) => [r.storage_id, r.status]))
    await Promise.all(
      plan.desired.map(async (storageId) => {
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
            return
          }
          if (current.get(storageId) !== 'synced' && current.get(storageId) !== 'syncing')
            await mark(storageId, 'syncing')
          // The master was listed once, into the index just refreshed: replicas sync from that.
          const { compared } = await syncReplica(bucket.name, master, replica.storage, {
            concurrency: ctx.copyConcurrency,
            stats: ctx.stats,
            source: indexedEntries(ctx.db, bucket.bucket_id),
            backlog: replica.backlog,
            records: replica.records,
            copier: replica.copier,
          })
          await mark(storageId, 'synced')
          await recordFullPass(ctx.db, bucket.bucket_id, storageId, {
            durationMs: Date.now() - started,
            objects: compared,
          })
        } catch (err) {
          ctx.observer.failed(bucket.name, alias(storageId))
          await mark(storageId, 'error', message(err))
          errors.push(`replica on ${storageId}: ${message(err)}`)
        } finally {
          replica?.backlog.close()
        }
      }),
    )
  } finally {
    if (routesChanged) ctx.routesChanged()
  }
  if (errors.length > 0) throw new Error(`${bucket.name}: ${errors.join('; ')}`)
}
