/**
 * Cloudflare Workers entry of the edge: the same runtime-neutral app and policies as on Node.
 * The route snapshot is pulled from control (`FADO_CONTROL_URL`, with `FADO_CONTROL_TOKEN`, an edge-scope token) and
 * kept in isolate memory; a request never waits on control once a snapshot is held — a stale one
 * is refreshed in the background (ctx.waitUntil). Upstream health and policy state are
 * per isolate too: each isolate learns on its own, which is fine for passive health and
 * round-robin-like spreading (documented in README).
 */
import { createEdgeApp, type Forward } from './app.js'
import { forwardableHeaders } from './headers.js'
import { SnapshotStore } from './snapshot-store.js'
import { UpstreamState } from './upstream-state.js'

export interface Env {
  FADO_CONTROL_URL: string
  FADO_CONTROL_TOKEN: string
  /** How old (ms) the snapshot may get before a background refresh; default 1000. */
  FADO_SNAPSHOT_MAX_AGE_MS?: string
}

interface ExecutionContext {
  waitUntil(promise: Promise<unknown>): void
}

const store = new SnapshotStore()
const upstreams = new UpstreamState()
let fetchedAt = 0
let refreshing: Promise<void> | undefined

const forward: Forward = async (upstream, request, pathAndQuery) => {
  const headers = forwardableHeaders(request.headers)
  const inbound = new URL(request.url)
  headers.set('x-forwarded-host', inbound.host)
  headers.set('x-forwarded-proto', inbound.protocol.replace(':', ''))
  const res = await fetch(upstream.url.replace(/\/$/, '') + pathAndQuery, {
    method: request.method,
    headers,
    body: request.body,
    redirect: 'manual',
  })
  return new Response(res.body, { status: res.status, headers: forwardableHeaders(res.headers) })
}

const app = createEdgeApp({
  store,
  upstreams,
  forward,
  hashHeader: 'x-fado-hash-key',
  clientAddress: (c) => c.req.header('cf-connecting-ip') ?? '',
})

async function refresh(env: Env): Promise<void> {
  const version = store.current?.version
  const res = await fetch(`${env.FADO_CONTROL_URL.replace(/\/$/, '')}/api/snapshot`, {
    headers: {
      authorization: `Bearer ${env.FADO_CONTROL_TOKEN}`,
      ...(version ? { 'if-none-match': `"${version}"` } : {}),
    },
  })
  fetchedAt = Date.now()
  if (res.status === 304) return
  if (!res.ok) throw new Error(`control answered ${res.status}`)
  store.offer(await res.json())
}

function ensureFresh(env: Env, ctx: ExecutionContext): Promise<void> | undefined {
  const maxAge = Number(env.FADO_SNAPSHOT_MAX_AGE_MS ?? 1000)
  if (Date.now() - fetchedAt < maxAge) return undefined
  // Failures keep the last good snapshot; the next request after maxAge tries again.
  refreshing ??= refresh(env)
    .catch(() => {
      fetchedAt = Date.now()
    })
    .finally(() => {
      refreshing = undefined
    })
  if (store.current) {
    ctx.waitUntil(refreshing)
    return undefined
  }
  return refreshing
}

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const waiting = ensureFresh(env, ctx)
    if (waiting) await waiting
    return app.fetch(request, env, ctx as never)
  },
}
