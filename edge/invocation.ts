/**
 * One invocation, runtime-neutral: request → route decision → request target → forwarding
 * headers → the forwarding core (forward.ts) → the headers an answer carries. The Node handler
 * (node-handler.ts) and the Workers app (app.ts) both run it and supply only I/O: how headers are
 * read, and a transport that sends an attempt and delivers its answer.
 */
import type { EdgeError } from './edge-error.js'
import { badTarget } from './edge-error.js'
import { forward, type ForwardDeps, type ForwardResult, type Transport } from './forward.js'
import { forwardingHeaders, type Hop } from './forwarded.js'
import { isLocal, LOCALITY_HEADER, preferLocal, type Locality } from './locality.js'
import type { Logger } from './log.js'
import { PolicyStates } from './policy-state.js'
import { REQUEST_ID_HEADER, requestId } from './request-id.js'
import { normalizeTarget } from './request-target.js'
import type { RetryBudget } from './retry-budget.js'
import { decideRoute, PLACEMENT_HEADER } from './routing.js'
import type { SnapshotStore } from './snapshot-store.js'
import { DEFAULT_EDGE_SETTINGS, type EdgeSettings, type Upstream } from './snapshot.js'
import type { UpstreamState } from './upstream-state.js'

/** Set by the edge itself (forwarded.ts), never passed on as the client sent them. */
export const FORWARDING_HEADERS = [
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'forwarded',
] as const

/** What a runtime tells the pipeline about one request. */
export interface InvocationRequest {
  /** A request header's value by name (any case); several values joined by ', '. */
  header(name: string): string | undefined
  /** The request target as it arrived: path and query. */
  target: string
  method: string
  hasBody: boolean
  /** Has the body begun to be read (then it cannot be sent again)? */
  bodyConsumed(): boolean
  /** The hop from the client: its address, scheme, Host, and whether it is a trusted proxy. */
  hop: Hop
  /** X-Forwarded-For / Forwarded as received: kept only from a trusted proxy. */
  forwarded: { xForwardedFor?: string | undefined; forwarded?: string | undefined }
  /** What `hash` hashes when the client sends it (else the client address). */
  hashKey: string | undefined
  /** The zone this edge serves the request from (Workers: per request, by colo); none: unknown. */
  zone: string | undefined
}

export interface PipelineDeps {
  store: SnapshotStore
  upstreams: UpstreamState
  budget: RetryBudget
  log: Logger
  random: () => number
  now: () => number
  generateId: () => string
}

/** An invocation refused before any upstream was tried, with what to answer. */
export interface Refused {
  ok: false
  id: string
  /** The route's bucket(s) when the route was found and the target was refused. */
  bucket: string | undefined
  error: EdgeError
}

/** An invocation on its way: the headers to send, and the forwarding core to run. */
export interface Started {
  ok: true
  id: string
  bucket: string
  /** Placed on a cluster holding only some of the buckets named. */
  partial: boolean
  /** Where the edge stands: what makes an upstream local (X-FaDO-Locality, demand figures). */
  where: Locality
  target: { path: string; query: string }
  /** The edge's forwarding headers and the request id, to set over the client's. */
  headers: Record<string, string>
  /** Tries upstreams through `transport` as the route's policy picks; failures are logged. */
  forward(transport: Transport): Promise<ForwardResult>
}

/** The pipeline of one edge process: its policy state lives as long as it. */
export function invocationPipeline(
  deps: PipelineDeps,
): (req: InvocationRequest) => Started | Refused {
  const policies = new PolicyStates()
  return (req) => {
    const id = requestId(req.header(REQUEST_ID_HEADER), deps.generateId)
    const decision = decideRoute(deps.store, policies, req.header)
    if (!decision.ok) return { ok: false, id, bucket: undefined, error: decision.error }
    const target = normalizeTarget(req.target)
    if (!target.ok)
      return { ok: false, id, bucket: decision.bucket, error: badTarget(target.reason) }
    const { bucket, route, policy, partial } = decision
    const settings = deps.store.current?.settings
    const where: Locality = { zone: req.zone, clusterZones: deps.store.placement.clusterZones }
    const mode = route.locality ?? settings?.locality ?? 'off'
    return {
      ok: true,
      id,
      bucket,
      partial,
      where,
      target,
      headers: { ...forwardingHeaders(req.forwarded, req.hop), [REQUEST_ID_HEADER]: id },
      forward: async (transport) => {
        const result = await forward(
          {
            bucket,
            route,
            policy,
            method: req.method,
            hasBody: req.hasBody,
            bodyConsumed: req.bodyConsumed,
            prefer:
              mode === 'prefer' && where.zone !== undefined
                ? (available) => preferLocal(available, mode, where, deps.upstreams.inflight)
                : undefined,
          },
          forwardDeps({
            settings,
            upstreams: deps.upstreams,
            budget: deps.budget,
            random: deps.random,
            hashKey: req.hashKey || req.hop.peer,
            now: deps.now,
          }),
          transport,
        )
        if (result.kind === 'error' && result.detail)
          deps.log.warn('invocation failed', { bucket, request_id: id, detail: result.detail })
        return result
      },
    }
  }
}

/** The forwarding core's settings for one request, from the snapshot's (or the defaults). */
function forwardDeps(opts: {
  settings: EdgeSettings | undefined
  upstreams: UpstreamState
  budget: RetryBudget
  random: () => number
  /** What `hash` hashes: the hash header's value, else the client address. */
  hashKey: string
  now: () => number
}): ForwardDeps {
  const settings = opts.settings ?? DEFAULT_EDGE_SETTINGS
  return {
    state: opts.upstreams,
    pick: opts.upstreams.pickContext(opts.random, opts.hashKey, settings.hash_balance_factor),
    budget: opts.budget,
    retries: settings.retries,
    now: opts.now,
  }
}

/**
 * What the edge adds to an upstream's answer: where it ran, the request id, a partial placement,
 * and — when the edge knows its zone — whether that was in its zone.
 */
export function answerHeaders(
  upstream: Upstream,
  id: string,
  partial: boolean,
  where: Locality,
): [string, string][] {
  const out: [string, string][] = [
    ['x-fado-cluster', upstream.cluster],
    [REQUEST_ID_HEADER, id],
  ]
  if (partial) out.push([PLACEMENT_HEADER, 'partial'])
  if (where.zone !== undefined)
    out.push([LOCALITY_HEADER, isLocal(upstream, where) ? 'local' : 'remote'])
  return out
}
