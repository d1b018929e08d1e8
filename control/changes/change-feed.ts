/**
 * Turns storage change events into reconcile work (thesis §5.3.3). Events come from each tracked
 * deployment's event stream (one listener each) or from MinIO webhooks at /api/notify. A change to
 * a master copy re-syncs just that object; a bucket created directly on a tracked deployment is
 * imported; a listener that reconnects triggers a full pass over that deployment's buckets.
 */
import type { ChangeHub } from './hub.js'
import type { Db } from '../db/client.js'
import {
  findBucketsByName,
  getBucketByName,
  importBucket,
  listMasterBucketNames,
  storagesHoldingMasters,
} from '../db/buckets.js'
import {
  findStorageByAlias,
  findStorageByDeploymentId,
  listStorageDeployments,
  type StorageDeploymentRow,
} from '../db/storage-deployments.js'
import type { Logger } from '../../edge/log.js'
import { listenToEvents, type EventListenerHandle, type StorageEvent } from './event-stream.js'
import type { StorageRegistry } from '../storage/registry.js'
import { CAPABILITIES } from '../storage/types.js'

/** Buckets one batch of events may make FaDO look for on storage (created buckets to import). */
export const MAX_BUCKET_CHECKS = 16
/** Keys of one bucket one batch re-syncs one by one; more become one full pass of the bucket. */
export const MAX_KEYS_PER_BUCKET = 256

/** What became of a batch of events delivered with a notify token. */
export interface Delivery {
  received: number
  applied: number
  /** Records naming another storage deployment than the token's (or none is tracked by its alias). */
  refused: number
}

export class ChangeFeed {
  readonly #listeners = new Map<number, { handle: EventListenerHandle; objectEvents: boolean }>()

  constructor(
    private readonly db: Db,
    private readonly storages: StorageRegistry,
    private readonly changes: ChangeHub,
    private readonly log: Logger,
  ) {}

  /**
   * Starts a listener for every tracked deployment without one; stops those no longer tracked.
   * A deployment holding master buckets is asked for object events too; one holding only replicas
   * for bucket events only (its object events would be FaDO's own copies). A deployment whose
   * role changed gets a new listener, which repairs its masters once connected.
   */
  refresh(): Promise<void> {
    // One at a time: two overlapping refreshes would each start a listener for the same deployment.
    const next = this.#refreshing.then(() => this.#refresh())
    this.#refreshing = next.catch(() => undefined)
    return next
  }

  #refreshing: Promise<void> = Promise.resolve()

  async #refresh(): Promise<void> {
    // Only MinIO has an event stream; plain S3 servers are seen by the periodic passes.
    const tracked = (await listStorageDeployments(this.db)).filter(
      (s) => CAPABILITIES[s.kind].changeEvents,
    )
    const holdingMasters = await storagesHoldingMasters(this.db)
    const ids = new Set(tracked.map((s) => s.storage_id))
    const replaced = new Set<number>()
    for (const [id, listener] of this.#listeners) {
      if (!ids.has(id) || listener.objectEvents !== holdingMasters.has(id)) {
        listener.handle.stop()
        this.#listeners.delete(id)
        if (ids.has(id)) replaced.add(id)
      }
    }
    for (const row of tracked) {
      if (this.#listeners.has(row.storage_id)) continue
      const storage = await this.storages.get(row.storage_id)
      const objectEvents = holdingMasters.has(row.storage_id)
      this.#listeners.set(row.storage_id, {
        objectEvents,
        handle: listenToEvents({
          storage,
          name: row.alias,
          log: this.log,
          objectEvents,
          repairOnFirstConnect: replaced.has(row.storage_id),
          onEvents: (events) =>
            void this.handle(events, row).catch((err: unknown) =>
              this.log.warn('storage event handling failed', { error: err }),
            ),
          onReconnect: () => void this.#repair(row.storage_id),
        }),
      })
    }
  }

  /** Which deployments are asked for object events (and not only bucket events). */
  objectEventsOn(): number[] {
    return [...this.#listeners].filter(([, l]) => l.objectEvents).map(([id]) => id)
  }

  stop(): void {
    for (const { handle } of this.#listeners.values()) handle.stop()
    this.#listeners.clear()
  }

  /**
   * Events delivered to /api/notify with a token tied to the storage deployment `alias`: records
   * from any other deployment (by the deployment id MinIO puts in each) are refused and counted.
   */
  async deliver(events: StorageEvent[], alias: string | null): Promise<Delivery> {
    const storage = alias === null ? undefined : await findStorageByAlias(this.db, alias)
    const mine = storage
      ? events.filter((e) => !e.deploymentId || e.deploymentId === storage.minio_deployment_id)
      : []
    const refused = events.length - mine.length
    if (refused > 0) {
      this.refusedRecords += refused
      this.log.warn(
        alias === null
          ? 'notify records refused: the token is tied to no storage deployment (make one with fado token create --scope notify --storage ALIAS)'
          : 'notify records refused: they name another storage deployment than the token',
        { for_storage: alias ?? 'none', tracked: storage !== undefined, refused },
      )
    }
    const applied = storage && mine.length > 0 ? await this.handle(mine, storage) : 0
    return { received: events.length, applied, refused }
  }

  /** Records refused since start (/metrics: fado_notify_records_refused_total). */
  refusedRecords = 0

  /**
   * Applies events from one deployment (named, or found by the deployment id in the records).
   * Returns how many events were acted on. The storage calls one batch can cause are bounded: a
   * bucket name is looked for once however often it repeats, at most MAX_BUCKET_CHECKS of them,
   * and past MAX_KEYS_PER_BUCKET keys a bucket gets one full pass instead of a sync per key.
   */
  async handle(events: StorageEvent[], from?: StorageDeploymentRow): Promise<number> {
    const keysByBucket = new Map<number, Set<string>>()
    const full = new Set<number>()
    const checked = new Set<string>()
    let imported = false
    let used = 0
    // One lookup per batch, not per event: a replica target reports every object FaDO copies.
    const buckets = await findBucketsByName(this.db, [...new Set(events.map((e) => e.bucket))])
    const byDeployment = new Map<string, StorageDeploymentRow | undefined>()
    for (const event of events) {
      let storage = from
      if (!storage && event.deploymentId) {
        if (!byDeployment.has(event.deploymentId))
          byDeployment.set(
            event.deploymentId,
            await findStorageByDeploymentId(this.db, event.deploymentId),
          )
        storage = byDeployment.get(event.deploymentId)
      }
      if (!storage) continue
      const bucket = buckets.get(event.bucket)
      if (event.eventName.startsWith('s3:BucketCreated')) {
        // Stream events can arrive late (MinIO batches them): import only what is still there.
        const look = `${storage.storage_id}/${event.bucket}`
        if (bucket || checked.has(look) || checked.size >= MAX_BUCKET_CHECKS) continue
        checked.add(look)
        if (await (await this.storages.get(storage.storage_id)).bucketExists(event.bucket)) {
          const id = await importBucket(this.db, event.bucket, storage.storage_id)
          if (id !== undefined) {
            this.log.info('imported bucket created on storage', {
              bucket: event.bucket,
              storage: storage.alias,
            })
            full.add(id)
            imported = true
            used++
          }
        }
        continue
      }
      if (!bucket || bucket.storage_id !== storage.storage_id) continue // not a master copy: ours to keep in sync
      used++
      if (event.eventName.startsWith('s3:BucketRemoved') || event.key === undefined) {
        full.add(bucket.bucket_id)
      } else {
        if (full.has(bucket.bucket_id)) continue
        const keys = keysByBucket.get(bucket.bucket_id) ?? new Set<string>()
        keys.add(event.key)
        keysByBucket.set(bucket.bucket_id, keys)
        if (keys.size > MAX_KEYS_PER_BUCKET) {
          keysByBucket.delete(bucket.bucket_id)
          full.add(bucket.bucket_id)
        }
      }
    }
    await this.changes.record({
      reconcile: [...full],
      objects: [...keysByBucket]
        .filter(([id]) => !full.has(id))
        .map(([bucketId, keys]) => ({ bucketId, keys: [...keys] })),
      routes: imported,
      storage: imported,
    })
    return used
  }

  async #repair(storageId: number): Promise<void> {
    try {
      const ids: number[] = []
      for (const name of await listMasterBucketNames(this.db, storageId)) {
        const bucket = await getBucketByName(this.db, name)
        if (bucket) ids.push(bucket.bucket_id)
      }
      await this.changes.record({ reconcile: ids })
    } catch (err) {
      this.log.warn('repair after reconnect failed; the periodic pass will cover it', {
        error: err,
      })
    }
  }
}
