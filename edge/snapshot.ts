/**
 * The route snapshot: the one document control hands to edges (DESIGN.md "Route snapshot").
 * Pure: no I/O. Control builds it, edges parse and validate it before swapping it in.
 */

export const POLICY_NAMES = [
  'round_robin',
  'least_conn',
  'random',
  'first',
  'hash',
  'fastest',
] as const
export type PolicyName = (typeof POLICY_NAMES)[number]

export const isPolicyName = (value: unknown): value is PolicyName =>
  typeof value === 'string' && (POLICY_NAMES as readonly string[]).includes(value)

export interface Upstream {
  /** The FaaS deployment id: health state at the edge is keyed by it and survives swaps. */
  id: number
  /** http or https, maybe with a path prefix, no trailing slash. */
  url: string
  /** Cluster name, returned to clients as X-FaDO-Cluster. */
  cluster: string
}

export interface Route {
  policy: PolicyName
  upstreams: Upstream[]
}

/** What a snapshot says, without its version stamp: compared to decide whether to publish. */
export interface RouteTable {
  match_header: string
  default_policy: PolicyName
  routes: Record<string, Route>
}

export interface RouteSnapshot extends RouteTable {
  /** Only grows; an edge applies a snapshot only when its version is larger. */
  version: number
  generated_at: string
}

/** RFC 9110 token characters: what a header name may contain. */
export const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

export class SnapshotError extends Error {
  constructor(message: string) {
    super(`invalid route snapshot: ${message}`)
    this.name = 'SnapshotError'
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

/** Checks every field an edge relies on; throws SnapshotError naming the first bad one. */
export function parseSnapshot(input: unknown): RouteSnapshot {
  if (!isRecord(input)) throw new SnapshotError('not an object')
  const { version, generated_at, match_header, default_policy, routes } = input
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1) {
    throw new SnapshotError('version must be a positive integer')
  }
  if (typeof generated_at !== 'string' || Number.isNaN(Date.parse(generated_at))) {
    throw new SnapshotError('generated_at must be a date')
  }
  if (typeof match_header !== 'string' || !HEADER_NAME.test(match_header)) {
    throw new SnapshotError('match_header must be a header name')
  }
  if (!isPolicyName(default_policy)) throw new SnapshotError(`unknown default_policy`)
  if (!isRecord(routes)) throw new SnapshotError('routes must be an object')
  const parsed: Record<string, Route> = Object.create(null) as Record<string, Route>
  for (const [bucket, route] of Object.entries(routes)) {
    if (!isRecord(route)) throw new SnapshotError(`routes.${bucket} must be an object`)
    if (!isPolicyName(route.policy)) throw new SnapshotError(`routes.${bucket}.policy is unknown`)
    if (!Array.isArray(route.upstreams)) {
      throw new SnapshotError(`routes.${bucket}.upstreams must be an array`)
    }
    const upstreams = route.upstreams.map((u: unknown, i): Upstream => {
      const where = `routes.${bucket}.upstreams[${i}]`
      if (!isRecord(u)) throw new SnapshotError(`${where} must be an object`)
      if (typeof u.id !== 'number' || !Number.isSafeInteger(u.id)) {
        throw new SnapshotError(`${where}.id must be an integer`)
      }
      if (typeof u.url !== 'string' || !/^https?:\/\/[^/?#]+(\/[^?#]*)?$/.test(u.url)) {
        throw new SnapshotError(`${where}.url must be an http(s) URL without query`)
      }
      if (typeof u.cluster !== 'string')
        throw new SnapshotError(`${where}.cluster must be a string`)
      return { id: u.id, url: u.url, cluster: u.cluster }
    })
    parsed[bucket] = { policy: route.policy, upstreams }
  }
  return { version, generated_at, match_header, default_policy, routes: parsed }
}

/** Same routes, header and default policy (version and time aside)? */
export function sameRouteTable(a: RouteTable, b: RouteTable): boolean {
  return canonicalJson(tableOf(a)) === canonicalJson(tableOf(b))
}

const tableOf = (t: RouteTable): RouteTable => ({
  match_header: t.match_header,
  default_policy: t.default_policy,
  routes: t.routes,
})

/** JSON with object keys sorted, so equal content gives equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    isRecord(v)
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, v[k]]),
        )
      : v,
  )
}
