/**
 * Pure: where a function-aware invocation may run (DESIGN.md "Invocation"). An invocation names
 * one or more buckets (`X-FaDO-Bucket: a, b`), maybe a function (`X-FaDO-Function`) and maybe
 * zones (`X-FaDO-Zones: gpu,germany`). The candidates are the FaaS deployments that
 *   (a) are in a cluster holding a synced copy of every bucket named — or, when none does and
 *       partial placement is allowed, of the most bytes of them ("data gravity"),
 *   (b) have a trigger for the function (the request then goes to the trigger's target), and
 *   (c) are in a cluster with every zone the function requires and every zone the request asks.
 * (b) and (c) are hard; only (a) may be relaxed. When nothing is left, the error says which
 * condition emptied the set.
 *
 * The index is built once per snapshot (SnapshotStore), so a request costs a few map lookups and
 * one pass over the route's upstreams; routes are never multiplied by functions.
 */
import type { EdgeError } from './edge-error.js'
import type { Route, RouteSnapshot, Upstream } from './snapshot.js'

/** An upstream a function's trigger reaches: its URL is the trigger's; `/` appends nothing. */
type TriggerUpstream = Upstream & { trigger: true }

interface CompiledFunction {
  name: string
  zones: readonly string[]
  /** FaaS id → the upstream its trigger reaches, for every trigger. */
  triggers: ReadonlyMap<number, TriggerUpstream>
  /** The same, only for triggers in clusters having every zone the function requires. */
  eligible: ReadonlyMap<number, TriggerUpstream>
}

export interface PlacementIndex {
  functions: ReadonlyMap<string, CompiledFunction>
  clusterZones: ReadonlyMap<string, ReadonlySet<string>>
  /** The load balancer's setting; a route's own allow_partial wins over it. */
  allowPartial: boolean
}

/** A path target appends to the deployment's URL; an absolute one replaces it. */
export function triggerUrl(upstreamUrl: string, target: string): string {
  const url = target.startsWith('/') ? upstreamUrl + target : target
  return url.replace(/\/+$/, '')
}

export function buildPlacementIndex(snapshot: RouteSnapshot): PlacementIndex {
  const clusterZones = new Map<string, ReadonlySet<string>>()
  for (const [name, c] of Object.entries(snapshot.clusters))
    clusterZones.set(name, new Set(c.zones))
  // Triggers name FaaS deployments by id; their URL and cluster are in the routes.
  const faas = new Map<number, Upstream>()
  for (const route of Object.values(snapshot.routes))
    for (const u of route.upstreams) if (!faas.has(u.id)) faas.set(u.id, u)
  const functions = new Map<string, CompiledFunction>()
  for (const [name, spec] of Object.entries(snapshot.functions)) {
    const triggers = new Map<number, TriggerUpstream>()
    const eligible = new Map<number, TriggerUpstream>()
    for (const [key, target] of Object.entries(spec.triggers)) {
      const id = Number(key)
      const u = faas.get(id)
      if (!u) continue // a deployment in no route holds no data: never a candidate anyway
      const t: TriggerUpstream = {
        id,
        url: triggerUrl(u.url, target),
        cluster: u.cluster,
        trigger: true,
      }
      triggers.set(id, t)
      if (hasZones(clusterZones.get(u.cluster), spec.zones)) eligible.set(id, t)
    }
    functions.set(name, { name, zones: spec.zones, triggers, eligible })
  }
  return { functions, clusterZones, allowPartial: snapshot.settings.allow_partial }
}

const hasZones = (have: ReadonlySet<string> | undefined, need: readonly string[]): boolean =>
  need.every((z) => have?.has(z) === true)

/** At most this many buckets in one invocation. */
export const MAX_BUCKETS = 16
/** Zones one invocation may require. */
export const MAX_ZONES = 64
const ZONE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/

export interface PlacementRequest {
  /** The bucket header as sent: one name, or several separated by commas. */
  buckets: string
  function?: string | undefined
  zones?: string | undefined
}

export type Placement =
  | {
      ok: true
      /** What the policy's state is kept under: the bucket, or the buckets joined. */
      key: string
      /** The candidates, with the policy and locality of the first bucket named. */
      route: Route
      partial: boolean
    }
  | { ok: false; error: EdgeError }

const fail = (status: EdgeError['status'], code: string, message: string): Placement => ({
  ok: false,
  error: { status, code, message },
})

/**
 * Splits a comma-separated header value into at most `max` distinct items; undefined when an
 * element is empty or there are more. Linear: it stops at the first item past the limit.
 */
function list(value: string, max: number): string[] | undefined {
  const seen = new Set<string>()
  let start = 0
  while (start <= value.length) {
    let end = value.indexOf(',', start)
    if (end < 0) end = value.length
    const item = value.slice(start, end).trim()
    if (!item) return undefined
    seen.add(item)
    if (seen.size > max) return undefined
    start = end + 1
  }
  return [...seen]
}

const quoted = (names: readonly string[]) => names.map((n) => `'${n}'`).join(', ')
const clustersOf = (upstreams: readonly Upstream[]) =>
  [...new Set(upstreams.map((u) => u.cluster))].sort().join(', ')

export function place(
  req: PlacementRequest,
  routeOf: (bucket: string) => Route | undefined,
  index: PlacementIndex,
): Placement {
  const buckets = list(req.buckets, MAX_BUCKETS)
  if (!buckets)
    return fail(
      400,
      'bad_bucket_header',
      `the bucket header must name 1 to ${MAX_BUCKETS} buckets separated by commas`,
    )
  const routes: Route[] = []
  for (const bucket of buckets) {
    const route = routeOf(bucket)
    if (!route) return fail(404, 'unknown_bucket', `no route for bucket '${bucket}'`)
    routes.push(route)
  }
  let zones: string[] | undefined
  if (req.zones !== undefined) {
    zones = list(req.zones, MAX_ZONES)
    if (!zones || !zones.every((z) => ZONE.test(z)))
      return fail(
        400,
        'bad_zones_header',
        'X-FaDO-Zones must list zone names (letters, digits, . _ -) separated by commas',
      )
  }
  let fn: CompiledFunction | undefined
  if (req.function !== undefined) {
    fn = index.functions.get(req.function.trim())
    if (!fn) return fail(404, 'unknown_function', `no function named '${req.function.trim()}'`)
  }
  const first = routes[0] as Route
  const what = buckets.length === 1 ? `bucket '${buckets[0]}'` : `buckets ${quoted(buckets)}`

  // (a) data: every upstream holding any of the buckets, with how many and how many bytes.
  let pool: readonly Upstream[]
  let held: Map<number, { count: number; bytes: number }> | undefined
  if (routes.length === 1) pool = first.upstreams
  else {
    held = new Map()
    const all: Upstream[] = []
    for (const route of routes)
      for (const u of route.upstreams) {
        const h = held.get(u.id)
        if (h) {
          h.count++
          h.bytes += route.bytes ?? 0
        } else {
          held.set(u.id, { count: 1, bytes: route.bytes ?? 0 })
          all.push(u)
        }
      }
    pool = all
  }
  if (pool.length === 0)
    return fail(
      503,
      'no_synced_copy',
      `no cluster with a FaaS deployment holds a synced copy of ${what}`,
    )

  // (b) and (c): hard conditions.
  const eligible: Upstream[] = []
  for (const u of pool) {
    const target = fn ? fn.eligible.get(u.id) : u
    if (target && (!zones || hasZones(index.clusterZones.get(u.cluster), zones)))
      eligible.push(target)
  }
  if (eligible.length === 0) return unmet(pool, fn, zones, what)

  if (!held)
    return {
      ok: true,
      key: buckets[0] as string,
      route: { ...rulesOf(first), upstreams: eligible },
      partial: false,
    }
  const key = buckets.join(',')
  const full = eligible.filter((u) => held.get(u.id)?.count === routes.length)
  if (full.length > 0)
    return { ok: true, key, route: { ...rulesOf(first), upstreams: full }, partial: false }
  const strict = buckets.filter((_, i) => !(routes[i]?.allow_partial ?? index.allowPartial))
  if (strict.length > 0)
    return fail(
      503,
      'no_full_placement',
      `no eligible cluster holds synced copies of all of ${quoted(buckets)}, and partial placement is off for ${quoted(strict)}`,
    )
  let most = -1
  for (const u of eligible) most = Math.max(most, held.get(u.id)?.bytes ?? 0)
  const heaviest = eligible.filter((u) => (held.get(u.id)?.bytes ?? 0) === most)
  return { ok: true, key, route: { ...rulesOf(first), upstreams: heaviest }, partial: true }
}

/** What a placed route takes from the first bucket named: its policy and locality. */
const rulesOf = (first: Route): Omit<Route, 'upstreams'> =>
  first.locality === undefined
    ? { policy: first.policy }
    : { policy: first.policy, locality: first.locality }

/** Which condition emptied the candidates, in the order (a) data, (b) trigger, (c) zones. */
function unmet(
  pool: readonly Upstream[],
  fn: CompiledFunction | undefined,
  zones: readonly string[] | undefined,
  what: string,
): Placement {
  const holders = `the clusters holding ${what} (${clustersOf(pool)})`
  if (fn) {
    const triggered = pool.filter((u) => fn.triggers.has(u.id))
    if (triggered.length === 0)
      return fail(503, 'no_function_trigger', `function '${fn.name}' has no trigger in ${holders}`)
    const inZones = triggered.filter((u) => fn.eligible.has(u.id))
    if (inZones.length === 0)
      return fail(
        503,
        'function_zones_unmet',
        `function '${fn.name}' requires zones ${fn.zones.join(', ')}; none of ${holders} with a trigger for it (${clustersOf(triggered)}) has them all`,
      )
    pool = inZones
  }
  return fail(
    503,
    'zones_unmet',
    `the request requires zones ${(zones ?? []).join(', ')}; none of ${holders}${fn ? ` able to run '${fn.name}' (${clustersOf(pool)})` : ''} has them all`,
  )
}
