/**
 * Makes storage match the replica plan (sample-controller's "compare actual with desired and
 * converge"), one bucket at a time: the work queue (work-queue.ts) coalesces, bounds and retries;
 * a database lock keeps a bucket to one control process at a time; a full pass
 * (bucket-pass.ts) or a key-only pass (key-sync.ts) does the work. Every bucket gets a full pass
 * at start and periodically, which repairs whatever change events missed.
 */
import { getBucket, listBucketIds } from '../db/buckets.js'
import type { Db } from '../db/client.js'
import type { Logger } from '../../edge/log.js'
import type { StorageRegistry } from '../storage/registry.js'
import { fullPass } from './bucket-pass.js'
import { syncKeys } from './key-sync.js'
import { MasterNotifications } from '../changes/master-notifications.js'
import type { PassContext } from './pass-context.js'
import { ignoreReplication, type ReplicationObserver } from './observer.js'
import { emptyStats, type SyncStats } from './copy.js'
import { WorkQueue, type BucketWork, type RunOutcome } from './work-queue.js'

/** Advisory-lock namespace for "reconciling bucket N". */
const RECONCILE_LOCK = 0x46615242

export interface ReconcilerOptions {
  /** Buckets reconciled at once. */
  concurrency?: number
  /** Object copies at once within one bucket (also bounded by bytes in flight, 64 MiB). */
  copyConcurrency?: number
  /** Full pass over every bucket this often (repairs whatever events missed). */
  fullIntervalMs?: number
  retryBaseMs?: number
  retryMaxMs?: number
  /** Told of backlog, lag and failures (metrics). */
  observer?: ReplicationObserver
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
      stats: this.stats,
      observer: options.observer ?? ignoreReplication,
      routesChanged: onRoutesChanged,
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
    this.#interval = setInterval(() => void this.scheduleAll(), this.#fullIntervalMs)
    this.#interval.unref()
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
    await fullPass(this.#ctx, bucket)
  }
}
