/** What a reconcile pass over one bucket works with, and how it opens one of its replicas. */
import type { Db } from '../db/client.js'
import type { BucketRow } from '../db/buckets.js'
import type { StorageDeploymentRow } from '../db/storage-deployments.js'
import type { Logger } from '../../edge/log.js'
import type { StorageRegistry } from '../storage/registry.js'
import type { S3Storage } from '../storage/s3.js'
import type { MasterNotifications } from '../changes/master-notifications.js'
import type { AgentWork } from '../agents/work.js'
import { agentCopier } from '../agents/copier.js'
import { controlCopier, type BatchBounds, type Copier, type SyncStats } from './copy.js'
import { Backlog, type ReplicationObserver } from './observer.js'
import { ReplicaRecords } from './replica-records.js'

export interface PassContext {
  db: Db
  storages: StorageRegistry
  log: Logger
  notifications: MasterNotifications
  /** Object copies at once within one bucket. */
  copyConcurrency: number
  /** A full pass over a bucket of at least this many objects lists in a worker thread. */
  listingWorkerFrom: number
  stats: SyncStats
  observer: ReplicationObserver
  /** A replica's status changed (or it was removed): routes must be published again. */
  routesChanged(): void
  /** The agents that move bytes where they run; absent: control copies everything. */
  agents?: AgentWork | undefined
}

/** A storage deployment's alias by id (its id when it is gone), as metrics and logs name it. */
export function aliasLookup(rows: readonly StorageDeploymentRow[]): (storageId: number) => string {
  const byId = new Map(rows.map((s) => [s.storage_id, s.alias]))
  return (storageId) => byId.get(storageId) ?? String(storageId)
}

/** One replica of a bucket as a pass works on it. */
export interface OpenReplica {
  storageId: number
  alias: string
  storage: S3Storage
  /** What is left to copy there, from `since`. */
  backlog: Backlog
  /** FaDO's records of what it copied there. */
  records: ReplicaRecords
  /** Who moves its bytes: control, or an agent. */
  copier: Copier
  /** Set when its bytes may move only through an agent and none is there: why it waits. */
  waiting?: string
}

export async function openReplica(
  ctx: PassContext,
  bucket: BucketRow,
  storageId: number,
  alias: string,
  since: number,
  master: S3Storage,
  batches: BatchBounds,
): Promise<OpenReplica> {
  const storage = await ctx.storages.get(storageId)
  const route = (await ctx.agents?.route(bucket, storageId)) ?? { via: 'control' as const }
  const copier =
    route.via === 'agent' && ctx.agents
      ? agentCopier(
          ctx.agents,
          {
            clusterId: route.clusterId,
            bucketId: bucket.bucket_id,
            masterId: bucket.storage_id,
            replicaId: storageId,
          },
          ctx.stats,
        )
      : controlCopier(bucket.name, master, storage, ctx.stats, batches)
  return {
    ...(route.via === 'wait' ? { waiting: route.reason } : {}),
    copier,
    storageId,
    alias,
    storage,
    backlog: new Backlog(ctx.observer, bucket.name, alias, since),
    records: new ReplicaRecords(
      ctx.db,
      bucket,
      { storage_id: storageId, alias },
      { log: ctx.log, observer: ctx.observer },
    ),
  }
}
