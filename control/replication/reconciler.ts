/**
 * Makes storage match the replica plan (sample-controller's "compare actual with desired and
 * converge"), one bucket at a time: the work queue (work-queue.ts) coalesces, bounds and retries;
 * a database lock keeps a bucket to one control process at a time; a full pass
 * (bucket-pass.ts) or a key-only pass (key-sync.ts) does the work. Every bucket gets a full pass
 * at start and then when pass-schedule.ts says it is due, which repairs whatever change events
 * missed.
 */
import { getBucket, listBucketIds, listBuckets, type BucketRow } from '../db/buckets.js'
import { listClusters, type ClusterRow } from '../db/clusters.js'
import { listStorageDeployments, type StorageDeploymentRow } from '../db/storage-deployments.js'
import type { Db } from '../db/client.js'
import type { Logger } from '../../edge/log.js'
import type { StorageRegistry } from '../storage/registry.js'
import { bucketPlan, fullPass } from './bucket-pass.js'
import { syncKeys } from './key-sync.js'
import { MasterNotifications } from '../changes/master-notifications.js'
import type { PassContext } from './pass-context.js'
import type { AgentWork } from '../agents/work.js'
import { ignoreReplication, type ReplicationObserver } from './observer.js'
import { emptyStats, type SyncStats } from './copy.js'
import { WorkQueue, type BucketWork, type RunOutcome } from './work-queue.js'
import { fullPassDueAt, type LastPass } from './pass-schedule.js'

/** Advisory-lock namespace for "reconciling bucket N". */
const RECONCILE_LOCK = 0x46615242

export interface ReconcilerOptions {
  /** Buckets reconciled at once. */
  concurrency?: number
  /** Object copies at once within one bucket (also bounded by bytes in flight, 64 MiB). */
  copyConcurrency?: number
  /**
   * A bucket's full pass is due this long after its last one ended, or ten times that pass's
   * duration when longer (pass-schedule.ts; --full-pass-interval).
   */
  fullIntervalMs?: number
  /**
   * A full pass over a bucket of at least this many objects lists, parses and digests in a worker
   * thread (listing-worker.ts), leaving control's thread to the API; smaller ones in control's own
   * thread (a worker costs ~50 ms to start). Default 20,000.
   */
  listingWorkerFrom?: number
  retryBaseMs?: number
  retryMaxMs?: number
  /** Told of backlog, lag and failures (metrics). */
  observer?: ReplicationObserver
  /** Agents that move replica bytes where they run (control/agents/); absent: control copies. */
  agents?: AgentWork
}

export interface ReconcileStats extends SyncStats {
  passes: number
  failures: number
}

export class Reconciler {
  readonly stats: ReconcileStats = {
    ...emptyStats(),
    passes: 0,
    failures: 0,
  }
  readonly #queue: WorkQueue
  readonly #ctx: PassContext
  readonly #fullIntervalMs: number
  /** Each bucket's last full pass in this process (none yet: due at once). */
  readonly #lastFull = new Map<number, LastPass>()
  #interval: NodeJS.Timeout | undefined

  constructor(
    private readonly db: Db,
    storages: StorageRegistry,
    onRoutesChanged: () => void,
    private readonly log: Logger,
    options: ReconcilerOptions = {},
  ) {
    this.#fullIntervalMs = options.fullIntervalMs ?? 60_000
    this.#ctx = {
      db,
      storages,
      log,
      notifications: new MasterNotifications(db, log),
      copyConcurrency: options.copyConcurrency ?? 32,
      listingWorkerFrom: options.listingWorkerFrom ?? 20_000,
      stats: this.stats,
      observer: options.observer ?? ignoreReplication,
      routesChanged: onRoutesChanged,
      agents: options.agents,
    }
    this.#queue = new WorkQueue(
      (bucketId, work) => this.#run(bucketId, work),
      {
        concurrency: options.concurrency ?? 4,
        retryBaseMs: options.retryBaseMs ?? 1_000,
        retryMaxMs: options.retryMaxMs ?? 60_000,
        busyRetryMs: 500,
      },
      log,
      () => this.stats.failures++,
    )
  }

  start(): void {
    void this.scheduleAll()
    // Looks for due buckets often enough that a due pass starts within a few seconds of its time.
    this.#interval = setInterval(
      () => void this.#scheduleDue(),
      Math.min(this.#fullIntervalMs, 5_000),
    )
    this.#interval.unref()
  }

  /** When a bucket's next full pass is due (ms; 0: now). */
  #dueAt(bucketId: number): number {
    return fullPassDueAt(this.#lastFull.get(bucketId), this.#fullIntervalMs)
  }

  /** Schedules the buckets whose full pass is due and that are not already queued or running. */
  async #scheduleDue(): Promise<void> {
    let ids: number[]
    try {
      ids = await listBucketIds(this.db)
    } catch (err) {
      this.log.warn('cannot list buckets to reconcile; will try again', { error: err })
      return
    }
    const now = Date.now()
    const present = new Set(ids)
    for (const id of this.#lastFull.keys()) if (!present.has(id)) this.#lastFull.delete(id)
    for (const id of ids) if (now >= this.#dueAt(id) && !this.#queue.has(id)) this.schedule(id)
  }

  async stop(): Promise<void> {
    clearInterval(this.#interval)
    await this.#queue.stop()
  }

  /** Asks for a bucket to be reconciled: fully, or only these keys (from change events). */
  schedule(bucketId: number, keys?: Iterable<string>): void {
    this.#queue.schedule(bucketId, keys)
  }

  async scheduleAll(): Promise<void> {
    try {
      for (const id of await listBucketIds(this.db)) this.schedule(id)
    } catch (err) {
      this.log.warn('cannot list buckets to reconcile; will try again', { error: err })
    }
  }

  /**
   * Where replicas belong may have changed for any bucket (a deployment tracked, a cluster's
   * zones): a full pass for each bucket whose plan now adds or removes a replica, whose replicas
   * are not all synced, or that this process has not passed yet. The others keep their schedule:
   * nothing of their objects changed, and a pass over a million objects keeps two cores busy for
   * most of a minute.
   */
  async replanAll(): Promise<void> {
    let placement: [BucketRow[], StorageDeploymentRow[], ClusterRow[]]
    try {
      placement = await Promise.all([
        listBuckets(this.db),
        listStorageDeployments(this.db),
        listClusters(this.db),
      ])
    } catch (err) {
      this.log.warn('cannot check where replicas belong; passing over every bucket', {
        error: err,
      })
      return this.scheduleAll()
    }
    const [buckets, storages, clusters] = placement
    for (const bucket of buckets) {
      const plan = bucketPlan(bucket, storages, clusters)
      const settled =
        plan.add.length === 0 &&
        plan.remove.length === 0 &&
        bucket.replicas.every((r) => r.status === 'synced') &&
        this.#lastFull.has(bucket.bucket_id)
      if (!settled) this.schedule(bucket.bucket_id)
    }
  }

  /** Resolves once nothing is queued, running or waiting for a retry. */
  whenIdle(): Promise<void> {
    return this.#queue.whenIdle()
  }

  async #run(bucketId: number, work: BucketWork): Promise<RunOutcome> {
    const result = await this.db.tryWithLock(RECONCILE_LOCK, bucketId, () =>
      this.reconcile(bucketId, work),
    )
    return result.acquired ? 'done' : 'busy'
  }

  /** One pass over one bucket. Throws when something failed and should be retried. */
  async reconcile(bucketId: number, work: BucketWork = { full: true, keys: new Set() }) {
    this.stats.passes++
    const bucket = await getBucket(this.db, bucketId)
    if (!bucket) return // deleted meanwhile
    if (!work.full && bucket.replicas.every((r) => r.status === 'synced')) {
      await syncKeys(this.#ctx, bucket, work.keys, work.since)
      return
    }
    const started = Date.now()
    await fullPass(this.#ctx, bucket)
    this.#lastFull.set(bucketId, { endedAt: Date.now(), durationMs: Date.now() - started })
  }
}
