/**
 * Wires one FaDO process: config → database (migrated) → snapshot publisher → admin API,
 * plus the edge in standalone mode, fed in-process by the publisher.
 */
import type { Hono } from 'hono'
import { startEdge, type RunningEdge } from '../edge/node.js'
import { resolveAdminToken, type AdminToken } from './admin-token.js'
import { createControlApp } from './api/app.js'
import { dbTarget, type Config } from './config.js'
import { openDb, type Db } from './db/client.js'
import { migrate } from './db/migrate.js'
import { listen } from './http-server.js'
import { loadUiAssets } from './api/ui.js'
import type { Logger } from './log.js'
import { ChangeFeed } from './replication/change-feed.js'
import { Reconciler, type ReconcilerOptions } from './replication/reconciler.js'
import { SnapshotPublisher } from './snapshot/publish.js'
import { StorageRegistry } from './storage/registry.js'

/** How often control re-derives routes from the database, to pick up other processes' changes. */
const REPUBLISH_INTERVAL_MS = 5_000

export interface RunningControl {
  apiUrl: string
  edgeUrl: string | undefined
  adminToken: AdminToken
  db: Db
  publisher: SnapshotPublisher
  reconciler: Reconciler
  changeFeed: ChangeFeed
  app: Hono
  close(): Promise<void>
}

export async function startControl(
  config: Config,
  log: Logger,
  withEdge: boolean,
  reconcilerOptions: ReconcilerOptions = {},
): Promise<RunningControl> {
  const host = config.listenHost ?? '127.0.0.1'
  const dataDir = config.dataDir ?? '.fado'
  const adminToken = resolveAdminToken({ configured: config.adminToken, listenHost: host, dataDir })
  const db = await openDb(dbTarget(config))
  const closers: (() => Promise<void>)[] = [() => db.close()]
  const closeAll = async () => {
    for (const close of closers.reverse()) await close().catch(() => {})
  }
  try {
    const { applied } = await migrate(db)
    if (applied.length > 0) log.info('applied migrations', { names: applied.map((m) => m.name) })

    const publisher = new SnapshotPublisher(db, log)
    closers.push(async () => publisher.close())
    await publisher.publishNow()
    const timer = setInterval(() => publisher.request(), REPUBLISH_INTERVAL_MS).unref()
    closers.push(async () => clearInterval(timer))

    const storages = new StorageRegistry(db)
    const reconciler = new Reconciler(
      db,
      storages,
      () => publisher.request(),
      log,
      reconcilerOptions,
    )
    const changeFeed = new ChangeFeed(db, storages, reconciler, log)
    closers.push(() => reconciler.stop())
    closers.push(async () => changeFeed.stop())
    await changeFeed.refresh()
    reconciler.start()

    let edge: RunningEdge | undefined
    if (withEdge) {
      const running = await startEdge({
        host,
        port: config.edgePort ?? 6000,
        log,
        connectTimeoutMs: config.connectTimeout,
        upstreamTimeoutMs: config.upstreamTimeout,
      })
      closers.push(() => running.close())
      closers.push(async () => unsubscribe())
      const unsubscribe = publisher.subscribe((snapshot) => running.store.offer(snapshot))
      edge = running
    }

    const app = createControlApp({
      db,
      publisher,
      log,
      adminToken: adminToken.token,
      storages,
      reconciler,
      changeFeed,
      ui: loadUiAssets(),
      edgeStatus: edge?.status,
    })
    const api = await listen(app.fetch, host, config.apiPort ?? 9090)
    closers.push(() => api.close())
    // Closers run in reverse: answer pending long polls first, so draining the API is quick.
    closers.push(async () => publisher.close())
    return {
      apiUrl: api.url,
      edgeUrl: edge?.server.url,
      adminToken,
      db,
      publisher,
      reconciler,
      changeFeed,
      app,
      close: closeAll,
    }
  } catch (err) {
    await closeAll()
    throw err
  }
}

export async function runMigrate(config: Config, log: Logger): Promise<void> {
  const db = await openDb(dbTarget(config))
  try {
    const { applied, version } = await migrate(db)
    log.info('database schema up to date', {
      version,
      applied: applied.map((m) => `${m.id}_${m.name}`),
      database: db.description,
    })
  } finally {
    await db.close()
  }
}
