/**
 * Wires one FaDO process: config → database (migrated) → changes → snapshot publisher →
 * storage, reconciler and change feed → admin API, plus the edge in standalone mode, fed
 * in-process by the publisher.
 */
import fs from 'node:fs'
import path from 'node:path'
import type { Hono } from 'hono'
import { startEdge, type RunningEdge } from '../edge/node.js'
import { resolveAdminToken, type AdminToken } from './admin-token.js'
import { createControlApp } from './api/app.js'
import { loadUiAssets } from './api/ui.js'
import { Changes } from './changes.js'
import { dbTarget, type Config } from './config.js'
import { openDb, type Db } from './db/client.js'
import { migrate } from './db/migrate.js'
import { listen } from './http-server.js'
import type { Logger } from './log.js'
import { ChangeFeed } from './replication/change-feed.js'
import { Reconciler, type ReconcilerOptions } from './replication/reconciler.js'
import { SnapshotPublisher } from './snapshot/publish.js'
import { StorageRegistry } from './storage/registry.js'

export interface RunningControl {
  apiUrl: string
  edgeUrl: string | undefined
  adminToken: AdminToken
  db: Db
  publisher: SnapshotPublisher
  reconciler: Reconciler
  changeFeed: ChangeFeed
  changes: Changes
  app: Hono
  close(): Promise<void>
}

/** Where uploads without a known length are spooled; emptied at start (left by a crash). */
function prepareSpoolDir(dataDir: string): string {
  const dir = path.join(dataDir, 'spool')
  fs.rmSync(dir, { recursive: true, force: true })
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 })
  return dir
}

export async function startControl(
  config: Config,
  log: Logger,
  withEdge: boolean,
  reconcilerOptions: ReconcilerOptions = {},
): Promise<RunningControl> {
  const host = config.listenHost
  const adminToken = resolveAdminToken({
    configured: config.adminToken,
    listenHost: host,
    dataDir: config.dataDir,
  })
  const db = await openDb(dbTarget(config))
  const closers: (() => Promise<void>)[] = [() => db.close()]
  const closeAll = async () => {
    for (const close of closers.reverse()) await close().catch(() => {})
  }
  try {
    const { applied } = await migrate(db)
    if (applied.length > 0) log.info('applied migrations', { names: applied.map((m) => m.name) })

    const changes = new Changes(db, log)
    const publisher = new SnapshotPublisher(db, log)
    closers.push(async () => publisher.close())
    await publisher.publishNow()

    const storages = new StorageRegistry(db, config.storageTimeout)
    const reconciler = new Reconciler(
      db,
      storages,
      () => void changes.record({ routes: true }),
      log,
      reconcilerOptions,
    )
    const changeFeed = new ChangeFeed(db, storages, changes, log)
    changes.connect({
      reconcile: (id, keys) => reconciler.schedule(id, keys),
      reconcileAll: () => reconciler.scheduleAll(),
      publish: () => publisher.publishNow(),
      refreshStorage: () => changeFeed.refresh(),
    })
    closers.push(() => reconciler.stop())
    closers.push(async () => changeFeed.stop())
    closers.push(() => changes.stop())
    await changes.listen()
    await changeFeed.refresh()
    reconciler.start()

    let edge: RunningEdge | undefined
    if (withEdge) {
      const running = await startEdge({
        host,
        port: config.edgePort,
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
      changes,
      storages,
      publisher,
      changeFeed,
      log,
      adminToken: adminToken.token,
      limits: { maxObjectSize: config.maxObjectSize, spoolDir: prepareSpoolDir(config.dataDir) },
      ui: loadUiAssets(),
      edgeStatus: edge?.status,
    })
    const api = await listen(app.fetch, host, config.apiPort, {
      idleTimeoutMs: config.idleTimeout,
    })
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
      changes,
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
