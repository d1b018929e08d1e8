/**
 * The Node edge in one process: an HTTP(S) server with the node:http + undici hot path, its
 * snapshot store, upstream state and retry budget. `fado edge` and standalone run it in worker
 * processes (node-workers.ts); benchmarks and the worker entry run it directly.
 */
import { getRequestListener } from '@hono/node-server'
import { Agent } from 'undici'
import { briefStatus, createStatusApp, statusBody, type EdgeStatus } from './app.js'
import type { InvocationMetrics } from './edge-metrics.js'
import { proxyMatcher } from './forwarded.js'
import {
  DEFAULT_CLIENT_LIMITS,
  listenNode,
  type RunningServer,
  type TlsFiles,
} from './http-server.js'
import type { Logger } from './log.js'
import { createNodeHandler } from './node-handler.js'
import { budgetFor, RetryBudget } from './retry-budget.js'
import { HASH_HEADER } from './routing.js'
import { SnapshotStore } from './snapshot-store.js'
import { DEFAULT_EDGE_SETTINGS, type RouteSnapshot } from './snapshot.js'
import { UpstreamState } from './upstream-state.js'

/** What a Node edge server needs to know; the same in every worker. */
export interface EdgeServerOptions {
  host: string
  port: number
  /** ms to connect to a FaaS endpoint before trying another. */
  connectTimeoutMs: number
  /** ms to wait for response headers, and between body chunks. */
  upstreamTimeoutMs: number
  /** Proxies (IPs, IPv4 CIDRs) in front of the edge whose X-Forwarded-For / Forwarded are kept. */
  trustedProxies?: string[] | undefined
  /** Serve HTTPS (the files are read again when they change). */
  tls?: TlsFiles | undefined
  /** SHA-256 of the edge's control token: who may read the full /_fado/status (none: nobody). */
  statusTokenHash?: string | undefined
  /** Header timeout and connections per client address (trusted proxies are exempt). */
  headerTimeoutMs?: number | undefined
  maxClientConnections?: number | undefined
  /** The zone this edge stands in: upstreams in clusters with it are local (locality.ts). */
  zone?: string | undefined
}

export interface RunningEdge {
  server: RunningServer
  store: SnapshotStore
  upstreams: UpstreamState
  /** The same report as GET /_fado/status. */
  status(): EdgeStatus
  close(): Promise<void>
}

export async function startEdge(
  opts: EdgeServerOptions & {
    log: Logger
    onApply?: (snapshot: RouteSnapshot) => void
    metrics?: InvocationMetrics | undefined
  },
): Promise<RunningEdge> {
  const budget = new RetryBudget(budgetFor(DEFAULT_EDGE_SETTINGS.retry_budget))
  const store = new SnapshotStore((snapshot) => {
    budget.configure(budgetFor(snapshot.settings.retry_budget))
    opts.onApply?.(snapshot)
  })
  const upstreams = new UpstreamState()
  // Pooled keep-alive connections per upstream origin.
  const dispatcher = new Agent({
    connect: { timeout: opts.connectTimeoutMs },
    headersTimeout: opts.upstreamTimeoutMs,
    bodyTimeout: opts.upstreamTimeoutMs,
    keepAliveTimeout: 30_000,
  })
  const status = () => statusBody(store, upstreams, budget, opts.zone)
  const trusted = proxyMatcher(opts.trustedProxies ?? [])
  const handler = createNodeHandler({
    store,
    upstreams,
    budget,
    dispatcher,
    log: opts.log,
    hashHeader: HASH_HEADER,
    trustedProxy: trusted,
    proto: opts.tls ? 'https' : 'http',
    fallback: getRequestListener(
      createStatusApp(
        status,
        () => briefStatus(store),
        () => opts.statusTokenHash,
      ).fetch,
    ),
    metrics: opts.metrics,
    zone: opts.zone,
  })
  const server = await listenNode(handler, opts.host, opts.port, {
    idleTimeoutMs: Math.max(opts.upstreamTimeoutMs, 60_000),
    tls: opts.tls,
    log: opts.log,
    limits: {
      headerTimeoutMs: opts.headerTimeoutMs ?? DEFAULT_CLIENT_LIMITS.headerTimeoutMs,
      maxClientConnections: opts.maxClientConnections ?? DEFAULT_CLIENT_LIMITS.maxClientConnections,
      exempt: trusted,
    },
  })
  return {
    server,
    store,
    upstreams,
    status,
    async close() {
      await server.close()
      await dispatcher.close()
    },
  }
}
