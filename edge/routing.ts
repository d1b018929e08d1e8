/**
 * Pure: the routing decisions both edge runtimes share: which route a request takes, which
 * upstream to try next, and whether a failed try may be repeated on another upstream.
 */
import type { EdgeError } from './edge-error.js'
import { place } from './placement.js'
import type { PickContext, Policy } from './policies/policy.js'
import type { PolicyStates } from './policy-state.js'
import type { SnapshotStore } from './snapshot-store.js'
import type { Route, Upstream } from './snapshot.js'
import type { UpstreamState } from './upstream-state.js'

/** The `hash` policy hashes this header when a client sends it, else the client address. */
export const HASH_HEADER = 'x-fado-hash-key'

/** Answer header marking an invocation placed on a cluster holding only some of its buckets. */
export const PLACEMENT_HEADER = 'x-fado-placement'

/** The header narrowing an invocation to clusters with every zone it lists. */
export const ZONES_HEADER = 'X-FaDO-Zones'

export type RouteDecision =
  | {
      ok: true
      /** The bucket, or the buckets named, joined by commas. */
      bucket: string
      route: Route
      policy: Policy
      /** Placed on the cluster holding most of the buckets' bytes, not all of them. */
      partial: boolean
    }
  | { ok: false; error: EdgeError }

/**
 * Header → route → policy, or the JSON error to answer with. An invocation naming one bucket and
 * neither a function nor zones takes the bucket's route as it is; anything else is placed
 * (placement.ts).
 */
export function decideRoute(
  store: SnapshotStore,
  policies: PolicyStates,
  header: (name: string) => string | undefined,
): RouteDecision {
  const snapshot = store.current
  if (!snapshot)
    return {
      ok: false,
      error: { status: 503, code: 'no_snapshot', message: 'the edge has no route table yet' },
    }
  const bucket = header(snapshot.match_header)
  if (!bucket) {
    return {
      ok: false,
      error: {
        status: 400,
        code: 'missing_bucket_header',
        message: `the ${snapshot.match_header} header names the bucket the function reads; it is missing`,
      },
    }
  }
  const fn = header(snapshot.function_header)
  const zones = header(ZONES_HEADER)
  if (fn === undefined && zones === undefined && !bucket.includes(',')) {
    const route = store.route(bucket)
    if (!route)
      return {
        ok: false,
        error: { status: 404, code: 'unknown_bucket', message: `no route for bucket '${bucket}'` },
      }
    return { ok: true, bucket, route, policy: policies.of(snapshot, bucket, route), partial: false }
  }
  const placed = place(
    { buckets: bucket, function: fn, zones },
    (b) => store.route(b),
    store.placement,
  )
  if (!placed.ok) return placed
  return {
    ok: true,
    bucket: placed.key,
    route: placed.route,
    policy: policies.of(snapshot, placed.key, placed.route),
    partial: placed.partial,
  }
}

/**
 * The next upstream to try: available, not tried yet, narrowed by `prefer` (locality.ts: the
 * local ones while they are not overloaded), as the policy picks.
 */
export function nextUpstream(
  route: Route,
  policy: Policy,
  tried: ReadonlySet<number>,
  state: UpstreamState,
  ctx: PickContext,
  prefer?: (available: readonly Upstream[]) => readonly Upstream[],
): Upstream | undefined {
  // When every upstream is ejected, the first try goes to them anyway ("panic" routing, as
  // Envoy does): an upstream that may have recovered beats a certain 503.
  const untried = route.upstreams.filter((u) => !tried.has(u.id))
  const available = untried.filter((u) => state.isAvailable(u.id))
  if (available.length > 0) return policy.pick(prefer ? prefer(available) : available, ctx)
  return tried.size === 0 && untried.length > 0 ? policy.pick(untried, ctx) : undefined
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE'])

/**
 * May a failed try be repeated on another upstream? Always when the request never left (connect
 * failed) and its body was not consumed; after it was sent only for idempotent bodiless requests.
 */
export function mayRetry(opts: {
  notSent: boolean
  bodyConsumed: boolean
  method: string
  hasBody: boolean
}): boolean {
  if (opts.notSent) return !opts.bodyConsumed
  return IDEMPOTENT.has(opts.method) && !opts.hasBody
}

/** Is there an upstream left to try? (A 5xx is passed on as it is when there is none.) */
export const hasAlternative = (
  route: Route,
  tried: ReadonlySet<number>,
  state: UpstreamState,
): boolean => route.upstreams.some((u) => !tried.has(u.id) && state.isAvailable(u.id))
