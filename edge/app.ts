/**
 * The edge as a runtime-neutral Hono app: what Workers runs, with a fetch() transport for the
 * shared forwarding core (forward.ts). Node runs the same core with an undici transport
 * (node-handler.ts) and serves the /_fado/ routes from createStatusApp.
 * Errors are JSON: 400 header missing or request target refused, 404 unknown bucket, 503 no
 * healthy upstream (or no snapshot yet), 502 upstream failed after retries.
 */
import { Hono, type Context } from 'hono'
import type { Transport } from './forward.js'
import { bucketLabel, type InvocationFacts, type InvocationMetrics } from './edge-metrics.js'
import {
  answerHeaders,
  FORWARDING_HEADERS,
  invocationPipeline,
  type Started,
} from './invocation.js'
import { isLocal } from './locality.js'
import { bearsToken } from './status-access.js'
import { forwardableHeaders } from './headers.js'
import type { Logger } from './log.js'
import { REQUEST_ID_HEADER } from './request-id.js'
import { forwardedRest } from './request-target.js'
import type { RetryBudget } from './retry-budget.js'
import { edgeErrorBody, type EdgeError } from './edge-error.js'
import type { SnapshotStore } from './snapshot-store.js'
import type { UpstreamState } from './upstream-state.js'

export interface EdgeDeps {
  store: SnapshotStore
  upstreams: UpstreamState
  budget: RetryBudget
  log: Logger
  random?: () => number
  now?: () => number
  /** The client's address (on Workers: CF-Connecting-IP). */
  clientAddress: (c: Context) => string
  /** Header whose value the hash policy hashes (default: the client address). */
  hashHeader?: string
  /** A new request id (default: a random UUID). */
  generateId?: () => string
  /** SHA-256 of the edge's control token: who may read the full /_fado/status. */
  statusTokenHash?: (c: Context) => Promise<string | undefined> | string | undefined
  /** The zone a request is served from (Workers: FADO_EDGE_ZONE or the colo's); none: unknown. */
  zoneOf?: (c: Context) => string | undefined
  /** Told of every invocation once its answer is over (the figures reported to control). */
  metrics?: InvocationMetrics | undefined
}

const answer = (e: EdgeError, id: string) =>
  new Response(edgeErrorBody(e), {
    status: e.status,
    headers: { 'content-type': 'application/json', [REQUEST_ID_HEADER]: id },
  })

/** GET /_fado/status: the snapshot served, refusals, retry budget, each upstream's health. */
export type EdgeStatus = ReturnType<typeof statusBody>

export function statusBody(
  store: SnapshotStore,
  upstreams: UpstreamState,
  budget?: RetryBudget,
  zone?: string,
) {
  const snapshot = store.current
  const ids = new Set<number>()
  for (const route of Object.values(snapshot?.routes ?? {}))
    for (const u of route.upstreams) ids.add(u.id)
  return {
    /** The zone this edge serves from (what locality-aware routing prefers); null: unknown. */
    zone: zone ?? null,
    snapshot_version: snapshot?.version ?? 0,
    lineage: snapshot?.lineage ?? null,
    generated_at: snapshot?.generated_at ?? null,
    applied_at: store.appliedAt?.toISOString() ?? null,
    /** The last snapshot refused (an older one of the same lineage, or an invalid one). */
    refused: store.refused ?? null,
    match_header: snapshot?.match_header ?? null,
    routes: Object.keys(snapshot?.routes ?? {}).length,
    retry_budget_tokens: budget ? Math.floor(budget.tokens) : null,
    upstreams: upstreams.report([...ids].sort((a, b) => a - b)),
  }
}

/** What anyone may read of GET /_fado/status: whether this edge serves, and which version. */
export function briefStatus(store: SnapshotStore) {
  const snapshot = store.current
  return {
    serving: snapshot !== undefined,
    snapshot_version: snapshot?.version ?? 0,
    generated_at: snapshot?.generated_at ?? null,
    applied_at: store.appliedAt?.toISOString() ?? null,
  }
}

/**
 * The /_fado/ routes, served by Hono on both runtimes: the full report to a request bearing the
 * edge's own control token (its SHA-256 is `tokenHashOf`), the brief one to anybody else.
 */
export function createStatusApp(
  full: (c: Context) => unknown,
  brief: () => unknown,
  tokenHashOf: (c: Context) => Promise<string | undefined> | string | undefined,
): Hono {
  return new Hono().get('/_fado/status', async (c) =>
    c.json(
      (await bearsToken(c.req.header('authorization'), await tokenHashOf(c))) ? full(c) : brief(),
    ),
  )
}

/** The forwarding headers and body rules of forward.ts, over fetch(). */
function fetchTransport(
  request: Request,
  invocation: Pick<Started, 'target' | 'partial' | 'where'>,
  headers: Headers,
  deliver: (response: Response, finished: Promise<number>) => void,
): Transport {
  const { target, partial, where } = invocation
  return async (upstream, verdict) => {
    let res: Response
    try {
      res = await fetch(upstream.url + forwardedRest(upstream, target), {
        method: request.method,
        headers,
        body: request.body,
        redirect: 'manual',
        ...(request.body ? { duplex: 'half' } : {}),
      } as RequestInit)
    } catch (error) {
      if (request.signal.aborted) return { outcome: 'client_gone' }
      // fetch() cannot tell a connect failure from a later one: treated as sent.
      return { outcome: 'failed', notSent: false, error }
    }
    if (res.status < 200) {
      // workerd's fetch() hands over an upstream's interim answer (100, 103) as if it were the
      // final one, and the real answer is lost: a failed attempt, charged to the upstream (the
      // Node edge passes interim answers over).
      await res.body?.cancel()
      return {
        outcome: 'failed',
        notSent: false,
        error: new Error(`answered ${res.status}, an interim answer the Workers runtime ends on`),
      }
    }
    if (verdict(res.status) === 'retry') {
      await res.body?.cancel()
      return { outcome: 'discarded', status: res.status }
    }
    let finish: (end: 'complete' | 'cut' | 'client_gone') => void = () => {}
    const finished = new Promise<'complete' | 'cut' | 'client_gone'>((r) => (finish = r))
    // The body passes through unchanged (counted: bytes answered); how it ends is the verdict on
    // this attempt.
    let bytes = 0
    const body = res.body?.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          bytes += chunk.byteLength
          controller.enqueue(chunk)
        },
        flush: () => finish('complete'),
      }),
    )
    if (!body) finish('complete')
    const out = forwardableHeaders(res.headers)
    for (const [name, value] of answerHeaders(
      upstream,
      headers.get(REQUEST_ID_HEADER) ?? '',
      partial,
      where,
    ))
      out.set(name, value)
    deliver(
      new Response(body ?? null, { status: res.status, statusText: res.statusText, headers: out }),
      finished.then(() => bytes),
    )
    // A body the client stops reading, or that breaks, ends this attempt too.
    request.signal.addEventListener('abort', () => finish('client_gone'), { once: true })
    return { outcome: 'delivered', status: res.status, finished }
  }
}

export function createEdgeApp(deps: EdgeDeps): Hono {
  const app = createStatusApp(
    (c) => statusBody(deps.store, deps.upstreams, deps.budget, deps.zoneOf?.(c)),
    () => briefStatus(deps.store),
    deps.statusTokenHash ?? (() => undefined),
  )
  const now = deps.now ?? (() => performance.now())
  const start = invocationPipeline({
    store: deps.store,
    upstreams: deps.upstreams,
    budget: deps.budget,
    log: deps.log,
    random: deps.random ?? Math.random,
    now,
    generateId: deps.generateId ?? (() => crypto.randomUUID()),
  })

  app.all('*', async (c) => {
    const url = new URL(c.req.url)
    const client = deps.clientAddress(c)
    const zone = deps.zoneOf?.(c)
    const invocation = start({
      header: (name) => c.req.header(name),
      // On Workers the platform has parsed the target already (dot segments resolved, clamped at
      // the root), so only what is left of it is checked; on Node the raw target is.
      target: url.pathname + url.search,
      method: c.req.method,
      hasBody: c.req.raw.body !== null,
      bodyConsumed: () => c.req.raw.bodyUsed,
      hop: {
        peer: client,
        proto: url.protocol === 'https:' ? 'https' : 'http',
        host: url.host,
        trusted: false,
      },
      // Incoming X-Forwarded-For / Forwarded are the client's own words here: not believed.
      forwarded: {},
      hashKey: deps.hashHeader ? c.req.header(deps.hashHeader) : undefined,
      zone,
    })
    const started = now()
    const count = (facts: Omit<InvocationFacts, 'zone' | 'bucket'>) =>
      deps.metrics?.invocation(
        { ...facts, bucket: bucketLabel(invocation.bucket), zone },
        (now() - started) / 1000,
      )
    if (!invocation.ok) {
      count({ cluster: '', code: invocation.error.status })
      return answer(invocation.error, invocation.id)
    }
    const headers = forwardableHeaders(c.req.raw.headers)
    for (const name of FORWARDING_HEADERS) headers.delete(name)
    for (const [name, value] of Object.entries(invocation.headers)) headers.set(name, value)
    let response: Response | undefined
    let answered: Promise<number> | undefined
    const result = await invocation.forward(
      fetchTransport(c.req.raw, invocation, headers, (r, finished) => {
        response = r
        answered = finished
      }),
    )
    deps.metrics?.retries(result.attempts - 1)
    if (result.kind === 'delivered' && response) {
      const { upstream, status } = result
      const remote = zone !== undefined && !isLocal(upstream, invocation.where)
      void answered?.then((bytes) =>
        count({ cluster: upstream.cluster, code: status, remote, bytes }),
      )
      return response
    }
    if (result.kind === 'error') {
      count({ cluster: '', code: result.error.status })
      return answer(result.error, invocation.id)
    }
    return new Response(null, { status: 499 })
  })
  return app
}
