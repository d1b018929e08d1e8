/**
 * Cloudflare Workers entry of the edge: the same runtime-neutral app and forwarding core as on
 * Node (app.ts, forward.ts) with a fetch() transport. The route snapshot is pulled from control
 * (`FADO_CONTROL_URL`, with `FADO_CONTROL_TOKEN`, an edge-scope token) and kept in isolate
 * memory; a request never waits on control once a snapshot is held — a stale one is refreshed in
 * the background (ctx.waitUntil). Upstream health, policy state and the retry budget are per
 * isolate: each isolate learns on its own (README). With a Workers KV namespace bound as
 * FADO_SNAPSHOT_KV (control's `cloudflare-kv` publish hook writes every version there), a cold
 * isolate serves from KV without reaching control, and a failed pull falls back to it; pulling
 * stays the way to the newest version. On Workers the platform resolves a request's
 * dot segments before the edge sees it (clamped at the root), so no target can leave an
 * upstream's prefix there either.
 */
import { createEdgeApp } from './app.js'
import { pullSnapshot } from './snapshot-pull.js'
import { tokenHash } from './status-access.js'
import { createLogger } from './log.js'
import { budgetFor, RetryBudget } from './retry-budget.js'
import { HASH_HEADER } from './routing.js'
import { SnapshotStore } from './snapshot-store.js'
import { DEFAULT_EDGE_SETTINGS, SNAPSHOT_KV_KEY, snapshotTag } from './snapshot.js'
import { UpstreamState } from './upstream-state.js'

export interface Env {
  FADO_CONTROL_URL: string
  FADO_CONTROL_TOKEN: string
  /** How old (ms) the snapshot may get before a background refresh; default 1000. */
  FADO_SNAPSHOT_MAX_AGE_MS?: string
  /** A KV namespace control's cloudflare-kv hook writes snapshots to (key `fado-snapshot`). */
  FADO_SNAPSHOT_KV?: { get(key: string, type: 'text'): Promise<string | null> }
}

/** Offers what KV holds, if a namespace is bound; never throws (KV is a fallback). */
async function fromKv(env: Env): Promise<void> {
  if (!env.FADO_SNAPSHOT_KV) return
  try {
    const text = await env.FADO_SNAPSHOT_KV.get(SNAPSHOT_KV_KEY, 'text')
    if (text) store.offer(JSON.parse(text))
  } catch {
    // unreadable or absent: the pull from control decides
  }
}

interface ExecutionContext {
  waitUntil(promise: Promise<unknown>): void
}

const budget = new RetryBudget(budgetFor(DEFAULT_EDGE_SETTINGS.retry_budget))
const store = new SnapshotStore((snapshot) =>
  budget.configure(budgetFor(snapshot.settings.retry_budget)),
)
const upstreams = new UpstreamState()
let fetchedAt = 0
/** What control last sent (applied or not): named in If-None-Match so it is not sent again. */
let lastTag = ''
let refreshing: Promise<void> | undefined
/** A pull waits this long for control; an isolate (128 MB) takes a snapshot of at most this size. */
const PULL_TIMEOUT_MS = 10_000
const MAX_SNAPSHOT_BYTES = 64 * 1024 * 1024

const app = createEdgeApp({
  store,
  upstreams,
  budget,
  log: createLogger((line) => console.log(line)),
  hashHeader: HASH_HEADER,
  clientAddress: (c) => c.req.header('cf-connecting-ip') ?? '',
  // The full /_fado/status is for whoever holds this Worker's own control token.
  statusTokenHash: (c) => {
    const token = (c.env as Env | undefined)?.FADO_CONTROL_TOKEN
    return token ? (statusHash ??= tokenHash(token)) : undefined
  },
})
let statusHash: Promise<string> | undefined

async function refresh(env: Env): Promise<void> {
  const pulled = await pullSnapshot({
    url: `${env.FADO_CONTROL_URL.replace(/\/$/, '')}/api/snapshot`,
    token: env.FADO_CONTROL_TOKEN,
    lastTag,
    timeoutMs: PULL_TIMEOUT_MS,
    maxBytes: MAX_SNAPSHOT_BYTES,
  })
  fetchedAt = Date.now()
  if (!pulled.changed) return
  lastTag = pulled.etag
  store.offer(pulled.body)
  if (store.current && !lastTag) lastTag = snapshotTag(store.current)
}

function ensureFresh(env: Env, ctx: ExecutionContext): Promise<void> | undefined {
  const maxAge = Number(env.FADO_SNAPSHOT_MAX_AGE_MS ?? 1000)
  // An isolate holding no snapshot asks again at once: it has nothing else to serve.
  if (store.current && Date.now() - fetchedAt < maxAge) return undefined
  // Failures keep the last good snapshot (or take a newer one from KV); the next request after
  // maxAge tries again.
  refreshing ??= refresh(env)
    .catch(async () => {
      fetchedAt = Date.now()
      await fromKv(env)
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
    // A cold isolate with a KV namespace serves from it at once; control is asked in the background.
    if (!store.current && env.FADO_SNAPSHOT_KV) await fromKv(env)
    const waiting = ensureFresh(env, ctx)
    if (waiting) await waiting
    return app.fetch(request, env, ctx as never)
  },
}
