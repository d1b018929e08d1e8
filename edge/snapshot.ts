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

/** Active health checks: an upstream is probed at `path` (appended to its URL) every interval. */
export interface HealthCheck {
  path: string
  interval_ms: number
  timeout_ms: number
  /** Consecutive successes that make an unhealthy upstream healthy again. */
  healthy_threshold: number
  /** Consecutive failures that take an upstream out. */
  unhealthy_threshold: number
}

/** How edges forward, beyond routes (load-balancer settings). */
export interface EdgeSettings {
  /** Further upstreams tried after the first fails (where retrying is safe). */
  retries: number
  /** Share of requests that may be retried, 0..1: retries never multiply load on a failing cluster. */
  retry_budget: number
  /** `hash` with bounded load: a key moves on when its upstream has more than this × the mean load (0 = off). */
  hash_balance_factor: number
  /** null = passive health checks only. */
  health_check: HealthCheck | null
}

export const DEFAULT_EDGE_SETTINGS: EdgeSettings = {
  retries: 2,
  retry_budget: 0.2,
  hash_balance_factor: 0,
  health_check: null,
}

/** What a snapshot says, without its version stamp: compared to decide whether to publish. */
export interface RouteTable {
  match_header: string
  default_policy: PolicyName
  routes: Record<string, Route>
  settings: EdgeSettings
}

export interface RouteSnapshot extends RouteTable {
  /**
   * The identity of the database the snapshot came from. Versions only grow within a lineage; a
   * control restored or reset starts a new one (and may start its versions at 1 again).
   */
  lineage: string
  /** Only grows within a lineage. */
  version: number
  generated_at: string
}

/** The entity tag control gives a snapshot, and an edge names in If-None-Match. */
export const snapshotTag = (s: { lineage: string; version: number }): string =>
  `"${s.lineage}:${s.version}"`

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
  const { version, generated_at, match_header, default_policy, routes, lineage } = input
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1) {
    throw new SnapshotError('version must be a positive integer')
  }
  if (typeof lineage !== 'string' || !/^[0-9A-Za-z-]{1,64}$/.test(lineage))
    throw new SnapshotError('lineage must be an identifier')
  const settings = parseSettings(input.settings)
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
  return { lineage, version, generated_at, match_header, default_policy, routes: parsed, settings }
}

const isInt = (v: unknown, min: number, max: number): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max

function parseSettings(input: unknown): EdgeSettings {
  if (input === undefined) return DEFAULT_EDGE_SETTINGS // snapshots from before settings existed
  if (!isRecord(input)) throw new SnapshotError('settings must be an object')
  const { retries, retry_budget, hash_balance_factor, health_check } = input
  if (!isInt(retries, 0, 10)) throw new SnapshotError('settings.retries must be 0 to 10')
  if (typeof retry_budget !== 'number' || !(retry_budget >= 0 && retry_budget <= 1))
    throw new SnapshotError('settings.retry_budget must be from 0 to 1')
  if (
    typeof hash_balance_factor !== 'number' ||
    !(hash_balance_factor === 0 || (hash_balance_factor > 1 && hash_balance_factor <= 100))
  )
    throw new SnapshotError('settings.hash_balance_factor must be 0 or above 1')
  let check: HealthCheck | null = null
  if (health_check !== null) {
    if (!isRecord(health_check))
      throw new SnapshotError('settings.health_check must be an object or null')
    const { path, interval_ms, timeout_ms, healthy_threshold, unhealthy_threshold } = health_check
    if (typeof path !== 'string' || !/^\/[^\s?#]*(\?[^\s#]*)?$/.test(path))
      throw new SnapshotError('settings.health_check.path must be a path starting with /')
    if (!isInt(interval_ms, 100, 3_600_000) || !isInt(timeout_ms, 10, 60_000))
      throw new SnapshotError('settings.health_check interval_ms/timeout_ms out of range')
    if (!isInt(healthy_threshold, 1, 100) || !isInt(unhealthy_threshold, 1, 100))
      throw new SnapshotError('settings.health_check thresholds must be 1 to 100')
    check = { path, interval_ms, timeout_ms, healthy_threshold, unhealthy_threshold }
  }
  return { retries, retry_budget, hash_balance_factor, health_check: check }
}

/** Same routes, header and default policy (version and time aside)? */
export function sameRouteTable(a: RouteTable, b: RouteTable): boolean {
  return canonicalJson(tableOf(a)) === canonicalJson(tableOf(b))
}

const tableOf = (t: RouteTable): RouteTable => ({
  match_header: t.match_header,
  default_policy: t.default_policy,
  routes: t.routes,
  settings: t.settings ?? DEFAULT_EDGE_SETTINGS,
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
