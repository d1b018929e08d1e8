/**
 * The steps of one invocation that do not depend on the runtime, shared by the Node handler
 * (node-handler.ts) and the Workers app (app.ts), which supply only I/O: which client headers are
 * replaced by the edge's own, the forwarding core's settings for this request, and the headers
 * an answer carries.
 */
import type { ForwardDeps } from './forward.js'
import { REQUEST_ID_HEADER } from './request-id.js'
import type { RetryBudget } from './retry-budget.js'
import { PLACEMENT_HEADER } from './routing.js'
import { DEFAULT_EDGE_SETTINGS, type EdgeSettings, type Upstream } from './snapshot.js'
import type { UpstreamState } from './upstream-state.js'

/** Set by the edge itself (forwarded.ts), never passed on as the client sent them. */
export const FORWARDING_HEADERS = [
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'forwarded',
] as const

/** The forwarding core's settings for one request, from the snapshot's (or the defaults). */
export function forwardDeps(opts: {
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

/** What the edge adds to an upstream's answer: where it ran, the request id, a partial placement. */
export function answerHeaders(
  upstream: Upstream,
  id: string,
  partial: boolean,
): [string, string][] {
  return [
    ['x-fado-cluster', upstream.cluster],
    [REQUEST_ID_HEADER, id],
    ...(partial ? [[PLACEMENT_HEADER, 'partial'] as [string, string]] : []),
  ]
}
