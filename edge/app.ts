/**
 * The edge, runtime-neutral (Node and Workers): header → route → policy → forward.
 * Errors are JSON: 400 header missing, 404 unknown bucket, 503 no healthy upstream (or no
 * snapshot yet), 502 upstream failed after retries. GET /_fado/status reports what is served.
 */
import { Hono, type Context } from 'hono'
import type { PickContext } from './policies/policy.js'
import type { SnapshotStore } from './snapshot-store.js'
import type { Upstream } from './snapshot.js'
import type { UpstreamState } from './upstream-state.js'

/** Thrown by a forwarder when the request never reached the upstream (safe to retry). */
export class NotSentError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'NotSentError'
  }
}

export type Forward = (
  upstream: Upstream,
  request: Request,
  pathAndQuery: string,
) => Promise<Response>

export interface EdgeDeps {
  store: SnapshotStore
  upstreams: UpstreamState
  forward: Forward
  random?: () => number
  now?: () => number
  /** Client address for the hash policy when no hash header is sent. */
  clientAddress?: (c: Context) => string
  /** Header whose value the hash policy hashes (default: the client address). */
  hashHeader?: string
  /** Further upstreams to try after the first fails. */
  retries?: number
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE'])

const error = (c: Context, status: 400 | 404 | 502 | 503, code: string, message: string) =>
  c.json({ error: { code, message } }, status)

export function createEdgeApp(deps: EdgeDeps): Hono {
  const random = deps.random ?? Math.random
  const now = deps.now ?? (() => performance.now())
  const retries = deps.retries ?? 2
  const app = new Hono()

  app.get('/_fado/status', (c) => {
    const snapshot = deps.store.current
    const ids = new Set<number>()
    for (const route of Object.values(snapshot?.routes ?? {})) {
      for (const u of route.upstreams) ids.add(u.id)
    }
    return c.json({
      snapshot_version: snapshot?.version ?? 0,
      generated_at: snapshot?.generated_at ?? null,
      match_header: snapshot?.match_header ?? null,
      routes: Object.keys(snapshot?.routes ?? {}).length,
      upstreams: deps.upstreams.report([...ids].sort((a, b) => a - b)),
    })
  })

  app.all('*', async (c) => {
    const snapshot = deps.store.current
    if (!snapshot) return error(c, 503, 'no_snapshot', 'the edge has no route table yet')
    const bucket = c.req.header(snapshot.match_header)
    if (!bucket) {
      return error(
        c,
        400,
        'missing_bucket_header',
        `the ${snapshot.match_header} header names the bucket the function reads; it is missing`,
      )
    }
    const route = deps.store.route(bucket)
    if (!route) return error(c, 404, 'unknown_bucket', `no route for bucket '${bucket}'`)

    const policy = deps.store.policyFor(bucket, route)
    const ctx: PickContext = {
      random,
      inflight: deps.upstreams.inflight,
      latency: deps.upstreams.latency,
      hashKey: (deps.hashHeader && c.req.header(deps.hashHeader)) || deps.clientAddress?.(c) || '',
    }
    const url = new URL(c.req.url)
    const pathAndQuery = url.pathname + url.search
    const method = c.req.method
    const hasBody = c.req.raw.body !== null
    const tried = new Set<number>()
    let lastError = 'no upstream'

    for (let attempt = 0; attempt <= retries; attempt++) {
      const candidates = route.upstreams.filter(
        (u) => !tried.has(u.id) && deps.upstreams.isAvailable(u.id),
      )
      if (candidates.length === 0) break
      const upstream = policy.pick(candidates, ctx)
      if (!upstream) break
      tried.add(upstream.id)
      const started = now()
      deps.upstreams.begin(upstream.id)
      let response: Response
      try {
        response = await deps.forward(upstream, c.req.raw, pathAndQuery)
      } catch (err) {
        deps.upstreams.end(upstream.id, false, now() - started)
        lastError = `${upstream.cluster}: ${(err as Error).message}`
        const replayable =
          err instanceof NotSentError ? !c.req.raw.bodyUsed : IDEMPOTENT.has(method) && !hasBody
        if (replayable) continue
        return error(c, 502, 'upstream_failed', `upstream ${lastError}`)
      }
      const failed = response.status >= 500
      deps.upstreams.end(upstream.id, !failed, now() - started)
      if (failed && IDEMPOTENT.has(method) && !hasBody && attempt < retries) {
        const others = route.upstreams.some(
          (u) => !tried.has(u.id) && deps.upstreams.isAvailable(u.id),
        )
        if (others) {
          await response.body?.cancel()
          lastError = `${upstream.cluster}: status ${response.status}`
          continue
        }
      }
      const headers = new Headers(response.headers)
      headers.set('X-FaDO-Cluster', upstream.cluster)
      return new Response(response.body, {
        status: response.status,
        statusText: response.statusText,
        headers,
      })
    }
    if (tried.size === 0) {
      return error(c, 503, 'no_healthy_upstream', `no healthy upstream for bucket '${bucket}'`)
    }
    return error(c, 502, 'upstream_failed', `all tried upstreams failed; last: ${lastError}`)
  })
  return app
}
