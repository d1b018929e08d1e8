/**
 * The edge as a runtime-neutral Hono app: what Workers runs, with a fetch() transport for the
 * shared forwarding core (forward.ts). Node runs the same core with an undici transport
 * (node-handler.ts) and serves the /_fado/ routes from createStatusApp.
 * Errors are JSON: 400 header missing or request target refused, 404 unknown bucket, 503 no
 * healthy upstream (or no snapshot yet), 502 upstream failed after retries.
 */
import { Hono, type Context } from 'hono'
import type { Transport } from './forward.js'
import { answerHeaders, FORWARDING_HEADERS, invocationPipeline } from './invocation.js'
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
}

const answer = (e: EdgeError, id: string) =>
  new Response(edgeErrorBody(e), {
    status: e.status,
    headers: { 'content-type': 'application/json', [REQUEST_ID_HEADER]: id },
  })

/** GET /_fado/status: the snapshot served, refusals, retry budget, each upstream's health. */
export type EdgeStatus = ReturnType<typeof statusBody>

export function statusBody(store: SnapshotStore, upstreams: UpstreamState, budget?: RetryBudget) {
  const snapshot = store.current
  const ids = new Set<number>()
  for (const route of Object.values(snapshot?.routes ?? {}))
    for (const u of route.upstreams) ids.add(u.id)
  return {
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
  full: () => unknown,
  brief: () => unknown,
  tokenHashOf: (c: Context) => Promise<string | undefined> | string | undefined,
): Hono {
  return new Hono().get('/_fado/status', async (c) =>
    c.json(
      (await bearsToken(c.req.header('authorization'), await tokenHashOf(c))) ? full() : brief(),
    ),
  )
}

/** The forwarding headers and body rules of forward.ts, over fetch(). */
function fetchTransport(
  request: Request,
  target: { path: string; query: string },
  headers: Headers,
  partial: boolean,
  deliver: (response: Response) => void,
): Transport {
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
    // The body passes through unchanged; how it ends is the verdict on this attempt.
    const body = res.body?.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        flush: () => finish('complete'),
      }),
    )
    if (!body) finish('complete')
    const out = forwardableHeaders(res.headers)
    for (const [name, value] of answerHeaders(
      upstream,
      headers.get(REQUEST_ID_HEADER) ?? '',
      partial,
    ))
      out.set(name, value)
    deliver(
      new Response(body ?? null, { status: res.status, statusText: res.statusText, headers: out }),
    )
    // A body the client stops reading, or that breaks, ends this attempt too.
    request.signal.addEventListener('abort', () => finish('client_gone'), { once: true })
    return { outcome: 'delivered', status: res.status, finished }
  }
}

export function createEdgeApp(deps: EdgeDeps): Hono {
  const app = createStatusApp(
    () => statusBody(deps.store, deps.upstreams, deps.budget),
    () => briefStatus(deps.store),
    deps.statusTokenHash ?? (() => undefined),
  )
  const start = invocationPipeline({
    store: deps.store,
    upstreams: deps.upstreams,
    budget: deps.budget,
    log: deps.log,
    random: deps.random ?? Math.random,
    now: deps.now ?? (() => performance.now()),
    generateId: deps.generateId ?? (() => crypto.randomUUID()),
  })

  app.all('*', async (c) => {
    const url = new URL(c.req.url)
    const client = deps.clientAddress(c)
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
    })
    if (!invocation.ok) return answer(invocation.error, invocation.id)
    const headers = forwardableHeaders(c.req.raw.headers)
    for (const name of FORWARDING_HEADERS) headers.delete(name)
    for (const [name, value] of Object.entries(invocation.headers)) headers.set(name, value)
    let response: Response | undefined
    const result = await invocation.forward(
      fetchTransport(
        c.req.raw,
        invocation.target,
        headers,
        invocation.partial,
        (r) => (response = r),
      ),
    )
    if (result.kind === 'delivered' && response) return response
    if (result.kind === 'error') return answer(result.error, invocation.id)
    return new Response(null, { status: 499 })
  })
  return app
}
