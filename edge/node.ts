/**
 * Node entries of the edge: `startEdge` (an HTTP server around the edge app, used in-process by
 * standalone) and `startEdgeFromControl` (`fado edge`: pulls snapshots from control, keeps the last
 * good one on disk and serves from it after a restart while control is unreachable).
 */
import fs from 'node:fs'
import path from 'node:path'
import type { Logger } from '../control/log.js'
import type { Config } from '../control/config.js'
import { getRequestListener } from '@hono/node-server'
import { Hono } from 'hono'
import { Agent } from 'undici'
import { listenNode, type RunningServer } from '../control/http-server.js'
import { statusBody, type EdgeStatus } from './app.js'
import { createNodeHandler } from './node-handler.js'
import { pollSnapshots } from './snapshot-source.js'
import { SnapshotStore } from './snapshot-store.js'
import type { RouteSnapshot } from './snapshot.js'
import { UpstreamState } from './upstream-state.js'

/** The `hash` policy hashes this header when a client sends it, else the client address. */
export const HASH_HEADER = 'x-fado-hash-key'

export interface RunningEdge {
  server: RunningServer
  store: SnapshotStore
  /** The same report as GET /_fado/status. */
  status(): EdgeStatus
  close(): Promise<void>
}

export async function startEdge(opts: {
  host: string
  port: number
  log: Logger
  onApply?: (snapshot: RouteSnapshot) => void
  connectTimeoutMs?: number | undefined
  upstreamTimeoutMs?: number | undefined
}): Promise<RunningEdge> {
  const store = new SnapshotStore(opts.onApply)
  const upstreams = new UpstreamState()
  // Pooled keep-alive connections per upstream origin.
  const dispatcher = new Agent({
    connect: { timeout: opts.connectTimeoutMs ?? 2_000 },
    headersTimeout: opts.upstreamTimeoutMs ?? 60_000,
    bodyTimeout: opts.upstreamTimeoutMs ?? 60_000,
    keepAliveTimeout: 30_000,
  })
  const status = new Hono().get('/_fado/status', (c) => c.json(statusBody(store, upstreams)))
  const handler = createNodeHandler({
    store,
    upstreams,
    dispatcher,
    hashHeader: HASH_HEADER,
    fallback: getRequestListener(status.fetch),
  })
  const server = await listenNode(handler, opts.host, opts.port)
  return {
    server,
    store,
    status: () => statusBody(store, upstreams),
    async close() {
      await server.close()
      await dispatcher.close()
    },
  }
}

export async function startEdgeFromControl(config: Config, log: Logger): Promise<RunningEdge> {
  const dataDir = config.dataDir
  const file = path.join(dataDir, 'edge-snapshot.json')
  const edge = await startEdge({
    host: config.listenHost,
    port: config.edgePort,
    log,
    connectTimeoutMs: config.connectTimeout,
    upstreamTimeoutMs: config.upstreamTimeout,
    onApply: (snapshot) => {
      fs.mkdirSync(dataDir, { recursive: true })
      fs.writeFileSync(`${file}.tmp`, JSON.stringify(snapshot))
      fs.renameSync(`${file}.tmp`, file)
      log.info('serving route snapshot', { version: snapshot.version })
    },
  })
  try {
    const saved: unknown = JSON.parse(fs.readFileSync(file, 'utf8'))
    const result = edge.store.offer(saved)
    if (result.applied) log.info('restored last good route snapshot', { version: result.version })
  } catch {
    // No saved snapshot yet (first start) or an unreadable one: wait for control.
  }
  const stop = pollSnapshots({
    url: `${config.controlUrl}/api/snapshot`,
    token: config.adminToken ?? '',
    store: edge.store,
    log,
  })
  return {
    ...edge,
    async close() {
      stop()
      await edge.close()
    },
  }
}
