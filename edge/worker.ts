/**
 * Cloudflare Workers entry of the edge: the same runtime-neutral app and forwarding core as on
 * Node (app.ts, forward.ts) with a fetch() transport. The route snapshot is pulled from control
 * (`FADO_CONTROL_URL`, with `FADO_CONTROL_TOKEN`, an edge-scope token) and kept in isolate
 * memory; a request never waits on control once a snapshot is held — a stale one is refreshed in
 * the background (ctx.waitUntil). Upstream health, policy state and the retry budget are per
 * isolate: each isolate learns on its own (README). With a Workers KV namespace bound as
 * FADO_SNAPSHOT_KV (control's `cloudflare-kv` publish hook writes every version there), a cold
 * isolate serves from KV without reaching control, and a failed pull falls back to it; pulling
 * stays the way to the newest version. A request's zone (locality-aware routing, demand per zone)
 * is its location's in FADO_ZONE_MAP, else FADO_EDGE_ZONE (zone-map.ts); what the isolate counted
 * goes to control with its token on the first request 5 s after the last report. On Workers the
 * platform resolves a request's
 * dot segments before the edge sees it (clamped at the root), so no target can leave an
 * upstream's prefix there either.
 */
import { createEdgeApp } from './app.js'
import { InvocationStats } from './invocation-stats.js'
import { StatsReport } from './stats-report.js'
import { ZONE } from './snapshot-rules.js'
import { parseZoneMap, zoneFor, type ZoneMap } from './zone-map.js'
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
  /** The zone of requests FADO_ZONE_MAP does not place (or of all, without a map). */
  FADO_EDGE_ZONE?: string
  /** JSON: Cloudflare colo / continent codes → zone names (zone-map.ts). */
  FADO_ZONE_MAP?: string
}

/** The zone settings of an env, checked once per isolate (an env does not change in one). */
let zones: { key: string; map: ZoneMap | undefined; fallback: string | undefined; error?: string }
function zoneSettings(env: Env): typeof zones {
  const key = `${env.FADO_EDGE_ZONE ?? ''}\n${env.FADO_ZONE_MAP ?? ''}`
  if (zones?.key === key) return zones
  zones = { key, map: undefined, fallback: undefined }
  try {
    if (env.FADO_EDGE_ZONE !== undefined && env.FADO_EDGE_ZONE !== '') {
      if (!ZONE.test(env.FADO_EDGE_ZONE))
        throw new Error("FADO_EDGE_ZONE must be a zone name: letters, digits, '.', '_' or '-'")
      zones.fallback = env.FADO_EDGE_ZONE
    }
    if (env.FADO_ZONE_MAP) zones.map = parseZoneMap(env.FADO_ZONE_MAP)
  } catch (err) {
    zones.error = (err as Error).message
  }
  return zones
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

/** What Cloudflare tells of where a request arrived (request.cf). */
interface CfProperties {
  colo?: unknown
  continent?: unknown
}

interface ExecutionContext {
  waitUntil(promise: Promise<unknown>): void
}

const budget = new RetryBudget(budgetFor(DEFAULT_EDGE_SETTINGS.retry_budget))
const store = new SnapshotStore((snapshot) =>
  budget.configure(budgetFor(snapshot.settings.retry_budget)),
)
const upstreams = new UpstreamState()
/** What this isolate counted, reported to control with its token every REPORT_INTERVAL_MS. */
const stats = new InvocationStats()
const report = new StatsReport()
const REPORT_INTERVAL_MS = 5_000
let reportedAt = Date.now()
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
  zoneOf: (c) => {
    const settings = zoneSettings(c.env as Env)
    return zoneFor(settings.map, (c.req.raw as { cf?: CfProperties }).cf, settings.fallback)
  },
  metrics: stats,
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
    const settings = zoneSettings(env)
    if (settings.error)
      return new Response(
        JSON.stringify({ error: { code: 'bad_config', message: settings.error } }),
        { status: 500, headers: { 'content-type': 'application/json' } },
      )
    const waiting = ensureFresh(env, ctx)
    if (waiting) await waiting
    const response = await app.fetch(request, env, ctx as never)
    if (Date.now() - reportedAt >= REPORT_INTERVAL_MS) {
      reportedAt = Date.now()
      report.add(stats.drain())
      if (report.size > 0)
        ctx.waitUntil(
          report.send(env.FADO_CONTROL_URL, env.FADO_CONTROL_TOKEN).catch(() => {
            // kept for the next report
          }),
        )
    }
    return response
  },
}
