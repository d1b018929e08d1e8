/**
 * Keeps the published route snapshot in step with the database. `request()` is called after every
 * change that may affect routes; requests arriving while a publish runs are coalesced into one
 * more run. A publish compiles the route table, and stores a new version only when the table
 * differs from the newest stored one. Failures (database down) are logged and retried with backoff.
 */
import { sameRouteTable, type RouteSnapshot, type RouteTable } from '../../edge/snapshot.js'
import type { Db, Queryable } from '../db/client.js'
import { listBucketBytes, listBucketServingClusters } from '../db/buckets.js'
import { listFunctions } from '../db/functions.js'
import { listClusters } from '../db/clusters.js'
import { listFaasDeployments } from '../db/faas-deployments.js'
import { getRouteOverrides, getSettings } from '../db/load-balancer.js'
import { insertSnapshot, latestSnapshot } from '../db/route-snapshots.js'
import type { Logger } from '../../edge/log.js'
import { CoalescedRunner } from '../lib/coalesce.js'
import { compileRoutes } from './compile.js'

/** Distinct from the migration lock: serialises publishes across control processes. */
const PUBLISH_LOCK_KEY = 0x46615350

export async function compileFromDb(q: Queryable): Promise<RouteTable> {
  const [settings, clusters, faas, bucketClusters, bytes, functions, overrides] = [
    await getSettings(q),
    await listClusters(q),
    await listFaasDeployments(q),
    await listBucketServingClusters(q),
    await listBucketBytes(q),
    await listFunctions(q),
    await getRouteOverrides(q),
  ]
  return compileRoutes({
    ...settings,
    clusters,
    faas,
    bucket_clusters: bucketClusters,
    bucket_bytes: bytes,
    functions,
    overrides,
  })
}

export type SnapshotListener = (snapshot: RouteSnapshot) => void

export class SnapshotPublisher {
  #current: RouteSnapshot | undefined
  readonly #runner = new CoalescedRunner(
    () => this.#run(),
    () => !this.#closed,
  )
  #retryTimer: NodeJS.Timeout | undefined
  #soonTimer: NodeJS.Timeout | undefined
  #periodic: NodeJS.Timeout | undefined
  #failures = 0
  #closed = false
  readonly #listeners = new Set<SnapshotListener>()
  readonly #closeListeners = new Set<() => void>()

  constructor(
    private readonly db: Db,
    private readonly log: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  get current(): RouteSnapshot | undefined {
    return this.#current
  }

  get closed(): boolean {
    return this.#closed
  }

  subscribe(listener: SnapshotListener): () => void {
    this.#listeners.add(listener)
    if (this.#current) listener(this.#current)
    return () => this.#listeners.delete(listener)
  }

  /** Publishes now and resolves when the snapshot reflects the database as of this call. */
  async publishNow(): Promise<RouteSnapshot | undefined> {
    this.request()
    await this.#runner.idle()
    return this.#current
  }

  /** Asks for a publish soon; cheap to call after every change. */
  request(): void {
    this.#runner.request()
  }

  /**
   * Asks for a publish within `delayMs`, once however often it is called meanwhile: for changes
   * that only move bucket sizes (object writes), which routes carry roughly (data gravity).
   */
  requestSoon(delayMs = 1_000): void {
    if (this.#closed || this.#soonTimer) return
    this.#soonTimer = setTimeout(() => {
      this.#soonTimer = undefined
      this.request()
    }, delayMs).unref()
  }

  /** Publishes now what requestSoon() would publish shortly, and resolves when done. */
  async flush(): Promise<RouteSnapshot | undefined> {
    clearTimeout(this.#soonTimer)
    this.#soonTimer = undefined
    return this.publishNow()
  }

  /** Publishes every `intervalMs` too, so sizes indexed by replication passes reach routes. */
  refreshEvery(intervalMs: number): void {
    clearInterval(this.#periodic)
    this.#periodic = setInterval(() => this.request(), intervalMs).unref()
  }

  /** Called once on close (e.g. to answer long polls at once instead of holding up shutdown). */
  onClose(listener: () => void): () => void {
    this.#closeListeners.add(listener)
    return () => this.#closeListeners.delete(listener)
  }

  close(): void {
    if (this.#closed) return
    this.#closed = true
    clearTimeout(this.#retryTimer)
    clearTimeout(this.#soonTimer)
    clearInterval(this.#periodic)
    for (const listener of this.#closeListeners) listener()
    this.#closeListeners.clear()
  }

  async #run(): Promise<void> {
    try {
      const snapshot = await this.db.transaction(async (tx) => {
        await tx.query('SELECT pg_advisory_xact_lock($1)', [PUBLISH_LOCK_KEY])
        const table = await compileFromDb(tx)
        const latest = await latestSnapshot(tx)
        if (latest && sameRouteTable(latest, table)) return latest
        return insertSnapshot(tx, table, this.now())
      })
      this.#failures = 0
      if (this.#current?.version !== snapshot.version) {
        if (this.#current) this.log.info('published route snapshot', { version: snapshot.version })
        this.#current = snapshot
        for (const listener of this.#listeners) listener(snapshot)
      }
    } catch (err) {
      this.#failures++
      const delay = Math.min(30_000, 250 * 2 ** Math.min(this.#failures, 7))
      this.log.warn('route snapshot publish failed; retrying', { error: err, retry_in_ms: delay })
      clearTimeout(this.#retryTimer)
      if (!this.#closed) this.#retryTimer = setTimeout(() => this.request(), delay).unref()
    }
  }
}
