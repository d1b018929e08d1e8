/**
 * Wires one FaDO process: config → database (migrated) → changes → snapshot publisher →
 * storage, reconciler and change feed → admin API, plus the edge in standalone mode, fed
 * in-process by the publisher.
 */
import fs from 'node:fs'
import path from 'node:path'
import type { Hono } from 'hono'
import { startEdgeWorkers, type EdgeWorkers } from '../edge/node-workers.js'
import { resolveAdminToken, type AdminToken } from './auth/admin-token.js'
import { createControlApp } from './api/app.js'
import { loadUiAssets } from './api/ui.js'
import { ChangeHub } from './changes/hub.js'
import {
  dbTarget,
  edgeServing,
  storageSettings,
  tlsOf,
  type ControlConfig,
  type DatabaseConfig,
} from './config.js'
import type { Db } from './db/client.js'
import { openDb } from './db/open.js'
import { ReadCache } from './db/read-cache.js'
import { migrate } from './db/migrate.js'
import { EmbeddedUpkeep } from './db/upkeep.js'
import { privateDataDir } from './auth/private-files.js'
import { adoptSecretsKey, loadSecretsKey } from './auth/secrets.js'
import { TokenVerifier } from './auth/tokens.js'
import { listen } from '../edge/http-server.js'
import type { Logger } from '../edge/log.js'
import { ChangeFeed } from './changes/change-feed.js'
import { ControlMetrics } from './observe/metrics.js'
import { HookDeliverer } from './snapshot/hooks.js'
import { observeAll, TrafficSeries } from './observe/traffic.js'
import { ListingPoller } from './changes/listing-poller.js'
import { DemandLoop } from './replication/demand-loop.js'
import { Reconciler, type ReconcilerOptions } from './replication/reconciler.js'
import { AgentWork } from './agents/work.js'
import { SnapshotPublisher } from './snapshot/publish.js'
import { StorageRegistry } from './storage/registry.js'

export interface RunningControl {
  apiUrl: string
  edgeUrl: string | undefined
  /** The in-process edge's Prometheus metrics (--metrics-port); control's own are at /metrics. */
  edgeMetricsUrl: string | undefined
  /** The in-process edge's status, merged over its workers (the oldest snapshot any serves). */
  edgeStatus: EdgeWorkers['status'] | undefined
  adminToken: AdminToken
  db: Db
  publisher: SnapshotPublisher
  reconciler: Reconciler
  changeFeed: ChangeFeed
  changes: ChangeHub
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
  config: ControlConfig,
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
  // Secret files are checked as they are found (a readable one is refused) before the data dir's
  // modes are tightened.
  const secrets = loadSecretsKey(config.dataDir)
  privateDataDir(config.dataDir)
  const cache = new ReadCache(await openDb(dbTarget(config), log))
  const { db } = cache
  const closers: (() => Promise<void>)[] = [() => db.close()]
  const closeAll = async () => {
    for (const close of closers.reverse()) await close().catch(() => {})
  }
  try {
    const { applied } = await migrate(db)
    if (applied.length > 0) log.info('applied migrations', { names: applied.map((m) => m.name) })
    const { sealed } = await adoptSecretsKey(db, secrets)
    if (sealed > 0) log.info('sealed storage secrets stored in plain text', { count: sealed })
    const tokens = new TokenVerifier(db, adminToken.token)

    const changes = new ChangeHub(db, log)
    const publisher = new SnapshotPublisher(db, log)
    closers.push(async () => publisher.close())
    await publisher.publishNow()
    publisher.refreshEvery(10_000)

    const storages = new StorageRegistry(db, secrets, storageSettings(config))
    const metrics: ControlMetrics = new ControlMetrics({
      db,
      snapshotVersion: () => publisher.current?.version ?? 0,
      notifyRefused: () => changeFeed.refusedRecords,
      replicationBytes: (): { control: number; agents: number } => ({
        control: reconciler.stats.bytes_copied - reconciler.stats.bytes_by_agents,
        agents: reconciler.stats.bytes_by_agents,
      }),
    })
    const traffic = new TrafficSeries()
    const agents = new AgentWork(
      db,
      storages,
      log,
      { leaseMs: config.agentLease, urlExpirySeconds: config.agentUrlExpiry },
      () => void reconciler.scheduleAll(),
    )
    const reconciler: Reconciler = new Reconciler(
      db,
      storages,
      () => void changes.record({ routes: true }),
      log,
      {
        observer: observeAll(metrics, traffic),
        fullIntervalMs: config.fullPassInterval,
        agents,
        ...reconcilerOptions,
      },
    )
    const changeFeed = new ChangeFeed(db, storages, changes, log)
    const hooks = new HookDeliverer(db, secrets, log)
    closers.push(async () => hooks.stop())
    const unsubscribeHooks = publisher.subscribe((snapshot) => hooks.offer(snapshot))
    closers.push(async () => void unsubscribeHooks())
    changes.connect({
      reconcile: (id, keys) => reconciler.schedule(id, keys),
      reconcileAll: () => reconciler.scheduleAll(),
      replanAll: () => reconciler.replanAll(),
      publish: () => publisher.publishNow(),
      publishSoon: () => publisher.requestSoon(),
      refreshStorage: () => changeFeed.refresh(),
      forgetTokens: () => tokens.forget(),
    })
    closers.push(() => reconciler.stop())
    closers.push(async () => changeFeed.stop())
    closers.push(() => changes.stop())
    await changes.listen()
    await changeFeed.refresh()
    reconciler.start()
    const poller = new ListingPoller(
      db,
      storages,
      (bucketId, keys) => void changes.record({ objects: [{ bucketId, keys }] }),
      log,
      { intervalMs: config.s3PollInterval },
    )
    poller.start()
    closers.push(async () => poller.stop())
    const demand = new DemandLoop({
      db,
      changes,
      log,
      demand: (bucket, windowS) => traffic.demand(bucket, windowS),
      decided: (bucket, action) => metrics.demandDecision(bucket, action),
    })
    demand.start()
    closers.push(() => demand.stop())
    if (db.engine === 'pglite') {
      // A PostgreSQL server has its autovacuum; the embedded engine has none (db/upkeep.ts).
      const upkeep = new EmbeddedUpkeep({ db, log, done: (u, s) => metrics.dbUpkeep(u, s) })
      upkeep.start()
      closers.push(() => upkeep.stop())
    }

    let edge: EdgeWorkers | undefined
    if (withEdge) {
      // The edge in worker processes of its own: control's work (the embedded database runs on
      // this thread) never delays an invocation.
      const running = await startEdgeWorkers({
        ...edgeServing(config),
        log,
        onStats: (entries) => traffic.add(entries),
      })
      closers.push(() => running.close())
      closers.push(async () => unsubscribe())
      const unsubscribe = publisher.subscribe((snapshot) => running.offer(snapshot))
      edge = running
    }

    // Known once the API listens (its port may be chosen by the system).
    const notify: { url?: string | undefined } = {}
    const app = createControlApp({
      db,
      reads: cache.reads,
      changes,
      storages,
      notifyUrl: () => notify.url,
      publisher,
      changeFeed,
      log,
      tokens,
      limits: { maxObjectSize: config.maxObjectSize, spoolDir: prepareSpoolDir(config.dataDir) },
      ui: loadUiAssets(),
      edgeStatus: edge?.status,
      metrics,
      secrets,
      hooks,
      traffic,
      agents,
      demandHeld: (bucketId) => demand.held(bucketId),
    })
    const api = await listen(app.fetch, host, config.apiPort, {
      idleTimeoutMs: config.idleTimeout,
      limits: {
        headerTimeoutMs: config.headerTimeout,
        maxClientConnections: config.maxClientConnections,
      },
      tls: tlsOf(config),
      log,
    })
    closers.push(() => api.close())
    notify.url = notifyUrlOf(config.notifyUrl, host, api.url)
    // Closers run in reverse: answer pending long polls first (snapshots, agents' claims), so
    // draining the API is quick; passes waiting for agents give up at once.
    closers.push(async () => agents.stop())
    closers.push(async () => publisher.close())
    return {
      apiUrl: api.url,
      edgeUrl: edge?.url,
      edgeMetricsUrl: edge?.metricsUrl,
      edgeStatus: edge?.status,
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

/**
 * Where MinIO deployments reach /api/notify: as configured, else this API's own URL when it
 * listens on one address (a wildcard address is no URL another server can use).
 */
export function notifyUrlOf(
  configured: string | undefined,
  listenHost: string,
  apiUrl: string,
): string | undefined {
  if (configured === 'off') return undefined
  if (configured) return configured
  if (listenHost === '0.0.0.0' || listenHost === '::') return undefined
  return `${apiUrl}/api/notify`
}

export async function runMigrate(config: DatabaseConfig, log: Logger): Promise<void> {
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
