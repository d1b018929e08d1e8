/**
 * The Node edge in one process: an HTTP server with the node:http + undici hot path, its snapshot
 * store and upstream state. `fado edge` and standalone run it in worker processes
 * (node-workers.ts); benchmarks and the worker entry run it directly.
 */
import { getRequestListener } from '@hono/node-server'
import { Hono } from 'hono'
import { Agent } from 'undici'
import { statusBody, type EdgeStatus } from './app.js'
import { listenNode, type RunningServer } from './http-server.js'
import type { Logger } from './log.js'
import { createNodeHandler } from './node-handler.js'
import { SnapshotStore } from './snapshot-store.js'
import type { RouteSnapshot } from './snapshot.js'
import { UpstreamState } from './upstream-state.js'

/** The `hash` policy hashes this header when a client sends it, else the client address. */
export const HASH_HEADER = 'x-fado-hash-key'

/** What a Node edge server needs to know; the same in every worker. */
export interface EdgeServerOptions {
  host: string
  port: number
  /** ms to connect to a FaaS endpoint before trying another. */
  connectTimeoutMs: number
  /** ms to wait for response headers, and between body chunks. */
  upstreamTimeoutMs: number
}

export interface RunningEdge {
  server: RunningServer
  store: SnapshotStore
  /** The same report as GET /_fado/status. */
  status(): EdgeStatus
  close(): Promise<void>
}

export async function startEdge(
  opts: EdgeServerOptions & { log: Logger; onApply?: (snapshot: RouteSnapshot) => void },
): Promise<RunningEdge> {
  const store = new SnapshotStore(opts.onApply)
  const upstreams = new UpstreamState()
  // Pooled keep-alive connections per upstream origin.
  const dispatcher = new Agent({
    connect: { timeout: opts.connectTimeoutMs },
    headersTimeout: opts.upstreamTimeoutMs,
    bodyTimeout: opts.upstreamTimeoutMs,
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
  const server = await listenNode(handler, opts.host, opts.port, {
    idleTimeoutMs: Math.max(opts.upstreamTimeoutMs, 60_000),
  })
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
