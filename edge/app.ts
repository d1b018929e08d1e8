/**
 * The edge as a runtime-neutral Hono app (what Workers runs; Node serves /_fado/status from it
 * and proxies in edge/node-handler.ts): header → route → policy → forward.
 * Errors are JSON: 400 header missing, 404 unknown bucket, 503 no healthy upstream (or no
 * snapshot yet), 502 upstream failed after retries. GET /_fado/status reports what is served.
 */
import { Hono, type Context } from 'hono'
import {
  decideRoute,
  edgeErrorBody,
  hasAlternative,
  mayRetry,
  nextUpstream,
  noHealthyUpstream,
  upstreamFailed,
  type EdgeError,
} from './routing.js'
import type { SnapshotStore } from './snapshot-store.js'
import type { Upstream } from './snapshot.js'
import type { UpstreamState } from './upstream-state.js'

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

const answer = (e: EdgeError) =>
  new Response(edgeErrorBody(e), {
    status: e.status,
    headers: { 'content-type': 'application/json' },
  })

/** GET /_fado/status: the snapshot version served and each upstream's health. */
export type EdgeStatus = ReturnType<typeof statusBody>

export function statusBody(store: SnapshotStore, upstreams: UpstreamState) {
  const snapshot = store.current
  const ids = new Set<number>()
  for (const route of Object.values(snapshot?.routes ?? {}))
    for (const u of route.upstreams) ids.add(u.id)
  return {
    snapshot_version: snapshot?.version ?? 0,
    generated_at: snapshot?.generated_at ?? null,
    applied_at: store.appliedAt?.toISOString() ?? null,
    match_header: snapshot?.match_header ?? null,
    routes: Object.keys(snapshot?.routes ?? {}).length,
    upstreams: upstreams.report([...ids].sort((a, b) => a - b)),
  }
}

export function createEdgeApp(deps: EdgeDeps): Hono {
  const random = deps.random ?? Math.random
  const now = deps.now ?? (() => performance.now())
  const retries = deps.retries ?? 2
  const app = new Hono()

  app.get('/_fado/status', (c) => c.json(statusBody(deps.store, deps.upstreams)))

  app.all('*', async (c) => {
    const decision = decideRoute(deps.store, (name) => c.req.header(name))
    if (!decision.ok) return answer(decision.error)
    const { bucket, route, policy } = decision
    const ctx = deps.upstreams.pickContext(
      random,
      (deps.hashHeader && c.req.header(deps.hashHeader)) || deps.clientAddress?.(c) || '',
    )
    const url = new URL(c.req.url)
    const pathAndQuery = url.pathname + url.search
    const method = c.req.method
    const hasBody = c.req.raw.body !== null
    const tried = new Set<number>()
    let lastError = 'no upstream'

    for (let attempt = 0; attempt <= retries; attempt++) {
      const upstream = nextUpstream(route, policy, tried, deps.upstreams, ctx)
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
        if (
          mayRetry({
            // fetch() cannot tell a connect failure from a later one: treat it as sent.
            notSent: false,
            bodyConsumed: c.req.raw.bodyUsed,
            method,
            hasBody,
          })
        )
          continue
        return answer(upstreamFailed(lastError))
      }
      const failed = response.status >= 500
      deps.upstreams.end(upstream.id, !failed, now() - started)
      if (
        failed &&
        attempt < retries &&
        mayRetry({ notSent: false, bodyConsumed: true, method, hasBody }) &&
        hasAlternative(route, tried, deps.upstreams)
      ) {
        await response.body?.cancel()
        lastError = `${upstream.cluster}: status ${response.status}`
        continue
      }
      const headers = new Headers(response.headers)
      headers.set('X-FaDO-Cluster', upstream.cluster)
      return new Response(response.body, {
        status: response.status,
        statusText: response.statusText,
        headers,
      })
    }
    return answer(tried.size === 0 ? noHealthyUpstream(bucket) : upstreamFailed(lastError))
  })
  return app
}
