/**
 * Makes storage match the replica plan (sample-controller's "compare actual with desired and
 * converge"). Work is per bucket: a queue that coalesces requests, runs a bounded number of
 * buckets at once, never the same bucket twice (also across control processes: a database lock),
 * and retries failures with exponential backoff.
 *
 * A full pass: plan replicas → drop unwanted replica buckets → refresh the objects table from the
 * master listing → for each replica, merge-join master and replica listings and copy (streaming
 * GET → PUT) or delete only what differs → record replica status. A key-only pass (from an event)
 * copies or deletes just those objects on replicas that are already synced.
 */
import type { Db } from '../db/client.js'
import {
  addReplica,
  getBucket,
  listBucketIds,
  removeReplica,
  setReplicaStatus,
  type BucketRow,
  type ReplicaStatus,
} from '../db/buckets.js'
import { listClusters } from '../db/clusters.js'
import { deleteObjectByName, listObjects, upsertObject } from '../db/objects.js'
import {
  listStorageDeployments,
  setStorageSqsArn,
  type StorageDeploymentRow,
} from '../db/storage-deployments.js'
import type { Logger } from '../log.js'
import type { StorageRegistry } from '../storage/registry.js'
import type { S3Storage } from '../storage/s3.js'
import { pickWebhookArn } from '../storage/webhook.js'
import { planReplicas } from './plan.js'
import {
  copyObject,
  runBounded,
  SOURCE_ETAG_META,
  syncBucket,
  type SyncStats,
} from './sync-bucket.js'

/** Advisory-lock namespace for "reconciling bucket N". */
const RECONCILE_LOCK = 0x46615242

export interface ReconcilerOptions {
  /** Buckets reconciled at once. */
  concurrency?: number
  /** Object copies at once within one bucket. */
  copyConcurrency?: number
  /** Full pass over every bucket this often (repairs whatever events missed). */
  fullIntervalMs?: number
  retryBaseMs?: number
  retryMaxMs?: number
}

export interface ReconcileStats extends SyncStats {
  passes: number
  failures: number
}

interface Work {
  full: boolean
  keys: Set<string>
}

export class Reconciler {
  readonly #pending = new Map<number, Work>()
  readonly #running = new Set<number>()
  readonly #attempts = new Map<number, number>()
  readonly #retryTimers = new Map<number, NodeJS.Timeout>()
  readonly #idle: (() => void)[] = []
  /** "storageId/bucket" whose change notifications are set up, so it is done once per process. */
  readonly #notifying = new Set<string>()
  /** When each deployment without a webhook target was last asked for one. */
  readonly #arnChecked = new Map<number, number>()
  #interval: NodeJS.Timeout | undefined
  #stopped = false
  readonly stats: ReconcileStats = {
    bytes_copied: 0,
    objects_copied: 0,
    objects_deleted: 0,
    passes: 0,
    failures: 0,
  }
  readonly #opts: Required<ReconcilerOptions>

  constructor(
    private readonly db: Db,
    private readonly storages: StorageRegistry,
    private readonly onRoutesChanged: () => void,
    private readonly log: Logger,
    options: ReconcilerOptions = {},
  ) {
    this.#opts = {
      concurrency: options.concurrency ?? 4,
      copyConcurrency: options.copyConcurrency ?? 4,
      fullIntervalMs: options.fullIntervalMs ?? 60_000,
      retryBaseMs: options.retryBaseMs ?? 1_000,
      retryMaxMs: options.retryMaxMs ?? 60_000,
    }
  }

  start(): void {
    void this.scheduleAll()
    this.#interval = setInterval(() => void this.scheduleAll(), this.#opts.fullIntervalMs)
    this.#interval.unref()
  }

  async stop(): Promise<void> {
    this.#stopped = true
    clearInterval(this.#interval)
    for (const t of this.#retryTimers.values()) clearTimeout(t)
    this.#retryTimers.clear()
    this.#pending.clear()
    await this.whenIdle()
  }

  /** Asks for a bucket to be reconciled: fully, or only these keys (from change events). */
  schedule(bucketId: number, keys?: Iterable<string>): void {
    if (this.#stopped) return
    const work = this.#pending.get(bucketId) ?? { full: false, keys: new Set<string>() }
    if (keys === undefined) work.full = true
    else for (const k of keys) work.keys.add(k)
    this.#pending.set(bucketId, work)
    this.#pump()
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
    if (this.#isIdle()) return Promise.resolve()
    return new Promise((resolve) => this.#idle.push(resolve))
  }

  #isIdle(): boolean {
    return this.#pending.size === 0 && this.#running.size === 0 && this.#retryTimers.size === 0
  }

  #pump(): void {
    for (const [bucketId, work] of this.#pending) {
      if (this.#running.size >= this.#opts.concurrency) break
      if (this.#running.has(bucketId) || this.#retryTimers.has(bucketId)) continue
      this.#pending.delete(bucketId)
      this.#running.add(bucketId)
      void this.#run(bucketId, work).finally(() => {
        this.#running.delete(bucketId)
        this.#pump()
        if (this.#isIdle()) for (const resolve of this.#idle.splice(0)) resolve()
      })
    }
  }

  async #run(bucketId: number, work: Work): Promise<void> {
    try {
      const result = await this.db.tryWithLock(RECONCILE_LOCK, bucketId, () =>
        this.reconcile(bucketId, work),
      )
      if (!result.acquired) {
        // Another control process is on this bucket: look again shortly, so nothing is lost.
        this.#retryLater(bucketId, work, 500)
        return
      }
      this.#attempts.delete(bucketId)
    } catch (err) {
      this.stats.failures++
      const attempts = (this.#attempts.get(bucketId) ?? 0) + 1
      this.#attempts.set(bucketId, attempts)
      const delay = Math.min(this.#opts.retryMaxMs, this.#opts.retryBaseMs * 2 ** (attempts - 1))
      this.log.warn('reconcile failed; retrying', {
        bucket_id: bucketId,
        attempt: attempts,
        retry_in_ms: delay,
        error: err,
      })
      this.#retryLater(bucketId, { full: true, keys: new Set() }, delay)
    }
  }

  #retryLater(bucketId: number, work: Work, delayMs: number): void {
    if (this.#stopped) return
    clearTimeout(this.#retryTimers.get(bucketId))
    const timer = setTimeout(() => {
      this.#retryTimers.delete(bucketId)
      this.schedule(bucketId, work.full ? undefined : work.keys)
    }, delayMs)
    timer.unref()
    this.#retryTimers.set(bucketId, timer)
  }

  /** One pass over one bucket. Throws when something failed and should be retried. */
  async reconcile(bucketId: number, work: Work = { full: true, keys: new Set() }): Promise<void> {
    this.stats.passes++
    const bucket = await getBucket(this.db, bucketId)
    if (!bucket) return // deleted meanwhile
    if (!work.full && bucket.replicas.every((r) => r.status === 'synced')) {
      await this.#syncKeys(bucket, work.keys)
      return
    }
    await this.#full(bucket)
  }

  async #full(bucket: BucketRow): Promise<void> {
    const [storages, clusters] = [
      await listStorageDeployments(this.db),
      await listClusters(this.db),
    ]
    const plan = planReplicas({
      bucket,
      storages,
      clusters,
      current: bucket.replicas.map((r) => r.storage_id),
    })
    let routesChanged = false
    const errors: string[] = []
    /** Records a replica's status; routes change when it did. */
    const mark = async (storageId: number, status: ReplicaStatus, error: string | null = null) => {
      if (await setReplicaStatus(this.db, bucket.bucket_id, storageId, status, error))
        routesChanged = true
    }

    for (const storageId of plan.remove) {
      try {
        await (await this.storages.get(storageId)).removeBucket(bucket.name)
        await removeReplica(this.db, bucket.bucket_id, storageId)
        routesChanged = true
      } catch (err) {
        // Keep the row (so the removal is retried) but stop routing to it.
        await mark(storageId, 'error', `removal pending: ${(err as Error).message}`)
        errors.push(`remove replica on ${storageId}: ${(err as Error).message}`)
      }
    }
    for (const storageId of plan.add) await addReplica(this.db, bucket.bucket_id, storageId)

    let master: S3Storage
    try {
      master = await this.storages.get(bucket.storage_id)
      if (!(await master.bucketExists(bucket.name)))
        throw new Error(`master bucket ${bucket.name} is missing on its storage`)
      const masterRow = storages.find((s) => s.storage_id === bucket.storage_id)
      if (masterRow)
        await this.#ensureNotifications(bucket, master, await this.#webhookArn(masterRow, master))
      await this.#refreshObjects(bucket, master)
    } catch (err) {
      const message = `master unavailable: ${(err as Error).message}`
      for (const storageId of plan.desired) {
        await mark(storageId, 'error', message)
      }
      if (routesChanged) this.onRoutesChanged()
      throw new Error(message, { cause: err })
    }

    const current = new Map(bucket.replicas.map((r) => [r.storage_id, r.status]))
    await Promise.all(
      plan.desired.map(async (storageId) => {
        try {
          if (current.get(storageId) === 'error') {
            await mark(storageId, 'syncing')
          }
          await syncBucket(bucket.name, master, await this.storages.get(storageId), {
            concurrency: this.#opts.copyConcurrency,
            stats: this.stats,
          })
          await mark(storageId, 'synced')
        } catch (err) {
          await mark(storageId, 'error', (err as Error).message)
          errors.push(`replica on ${storageId}: ${(err as Error).message}`)
        }
      }),
    )
    if (routesChanged) this.onRoutesChanged()
    if (errors.length > 0) throw new Error(`${bucket.name}: ${errors.join('; ')}`)
  }

  /**
   * The deployment's webhook target. MinIO loads its targets shortly after it starts answering,
   * so one missing at tracking time is looked for again, at most once a minute.
   */
  async #webhookArn(row: StorageDeploymentRow, storage: S3Storage): Promise<string> {
    if (row.sqs_arn) return row.sqs_arn
    const last = this.#arnChecked.get(row.storage_id) ?? 0
    if (Date.now() - last < 60_000) return ''
    this.#arnChecked.set(row.storage_id, Date.now())
    try {
      const arn = pickWebhookArn((await storage.serverInfo()).sqsArns)
      if (arn) {
        await setStorageSqsArn(this.db, row.storage_id, arn)
        this.log.info('storage webhook target found', { storage: row.alias, arn })
      }
      return arn
    } catch {
      return ''
    }
  }

  /** Master buckets push their changes to FaDO's webhook, when the deployment has one. */
  async #ensureNotifications(bucket: BucketRow, master: S3Storage, arn: string): Promise<void> {
    const key = `${bucket.storage_id}/${bucket.name}`
    if (!arn || this.#notifying.has(key)) return
    try {
      await master.notifyOnChanges(bucket.name, arn)
      this.#notifying.add(key)
    } catch (err) {
      this.log.warn('cannot set bucket notifications; relying on the event stream', {
        bucket: bucket.name,
        error: err,
      })
    }
  }

  /** Makes the objects table list exactly what the master holds. */
  async #refreshObjects(bucket: BucketRow, master: S3Storage): Promise<void> {
    const known = new Map((await listObjects(this.db, bucket.bucket_id)).map((o) => [o.name, o]))
    for await (const entry of master.listObjects(bucket.name)) {
      const row = known.get(entry.key)
      known.delete(entry.key)
      if (row && row.etag === entry.etag && row.size === entry.size) continue
      await upsertObject(this.db, {
        bucket_id: bucket.bucket_id,
        name: entry.key,
        size: entry.size,
        etag: entry.etag,
        last_modified: entry.last_modified,
      })
    }
    for (const name of known.keys()) await deleteObjectByName(this.db, bucket.bucket_id, name)
  }

  /** Event path: only these keys, on replicas already in sync. */
  async #syncKeys(bucket: BucketRow, keys: Set<string>): Promise<void> {
    const master = await this.storages.get(bucket.storage_id)
    const replicas = await Promise.all(bucket.replicas.map((r) => this.storages.get(r.storage_id)))
    await runBounded([...keys], this.#opts.copyConcurrency, async (key: string) => {
      const entry = await master.stat(bucket.name, key)
      if (entry) {
        await upsertObject(this.db, {
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
          if (!same) await copyObject(bucket.name, key, master, replica, this.stats)
        }
      } else {
        await deleteObjectByName(this.db, bucket.bucket_id, key)
        for (const replica of replicas) {
          await replica.removeObject(bucket.name, key)
          this.stats.objects_deleted++
        }
      }
    })
  }
}
