/**
 * The route snapshot: the one document control hands to edges (DESIGN.md "Route snapshot").
 * Pure: no I/O. Control builds it, edges parse and validate it before swapping it in. Its shape is
 * described once, by the schema in snapshot-schema.ts (types only here); parseSnapshot is the
 * edge's fast check of it, held to the schema by snapshot-schema.test.ts.
 */
import type {
  ClusterInfoShape,
  EdgeSettingsShape,
  FunctionSpecShape,
  HealthCheckShape,
  RouteShape,
  RouteTableShape,
  UpstreamShape,
} from './snapshot-schema.js'
import {
  BOUNDS,
  DEFAULT_EDGE_SETTINGS as SETTINGS_DEFAULTS,
  DEFAULT_FUNCTION_HEADER,
  FAAS_ID_KEY,
  HEADER_NAME,
  HEALTH_PATH,
  isHashBalanceFactor,
  isTriggerTarget,
  LINEAGE,
  LOCALITY_MODES,
  POLICY_NAMES,
  UPSTREAM_URL,
  ZONE,
} from './snapshot-rules.js'

export {
  DEFAULT_FUNCTION_HEADER,
  HEADER_NAME,
  isTriggerTarget,
  LOCALITY_MODES,
  POLICY_NAMES,
  TRIGGER_PATH,
  TRIGGER_URL,
} from './snapshot-rules.js'

export type PolicyName = (typeof POLICY_NAMES)[number]
export type LocalityMode = (typeof LOCALITY_MODES)[number]

export const isPolicyName = (value: unknown): value is PolicyName =>
  typeof value === 'string' && (POLICY_NAMES as readonly string[]).includes(value)

export type Upstream = UpstreamShape & {
  /** Set by the edge (never on the wire) when `url` is a function trigger's (placement.ts). */
  trigger?: true
}
export type Route = Omit<RouteShape, 'upstreams'> & { upstreams: Upstream[] }
/** A function's trigger on one FaaS deployment: a path under its URL, or an absolute URL. */
export type TriggerTarget = string
export type FunctionSpec = FunctionSpecShape
export type ClusterInfo = ClusterInfoShape
export type HealthCheck = HealthCheckShape
export type EdgeSettings = EdgeSettingsShape
export const DEFAULT_EDGE_SETTINGS: EdgeSettings = SETTINGS_DEFAULTS

/** The Workers KV key under which control's cloudflare-kv publish hook writes each snapshot. */
export const SNAPSHOT_KV_KEY = 'fado-snapshot'

/** What a snapshot says, without its version stamp: compared to decide whether to publish. */
export type RouteTable = Omit<RouteTableShape, 'routes'> & { routes: Record<string, Route> }

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
  if (typeof lineage !== 'string' || !LINEAGE.test(lineage))
    throw new SnapshotError('lineage must be an identifier')
  const settings = parseSettings(input.settings)
  if (typeof generated_at !== 'string' || Number.isNaN(Date.parse(generated_at))) {
    throw new SnapshotError('generated_at must be a date')
  }
  if (typeof match_header !== 'string' || !HEADER_NAME.test(match_header)) {
    throw new SnapshotError('match_header must be a header name')
  }
  if (!isPolicyName(default_policy))
    throw new SnapshotError('default_policy must be a known policy')
  if (!isRecord(routes)) throw new SnapshotError('routes must be an object')
  const parsed: Record<string, Route> = Object.create(null) as Record<string, Route>
  for (const [bucket, route] of Object.entries(routes)) {
    if (!isRecord(route)) throw new SnapshotError(`routes.${bucket} must be an object`)
    if (!isPolicyName(route.policy))
      throw new SnapshotError(`routes.${bucket}.policy must be a known policy`)
    if (!Array.isArray(route.upstreams)) {
      throw new SnapshotError(`routes.${bucket}.upstreams must be an array`)
    }
    const upstreams = route.upstreams.map((u: unknown, i): Upstream => {
      const where = `routes.${bucket}.upstreams[${i}]`
      if (!isRecord(u)) throw new SnapshotError(`${where} must be an object`)
      if (typeof u.id !== 'number' || !Number.isSafeInteger(u.id)) {
        throw new SnapshotError(`${where}.id must be an integer`)
      }
      if (typeof u.url !== 'string' || !UPSTREAM_URL.test(u.url)) {
        throw new SnapshotError(`${where}.url must be an http(s) URL without query`)
      }
      if (typeof u.cluster !== 'string')
        throw new SnapshotError(`${where}.cluster must be a string`)
      return { id: u.id, url: u.url, cluster: u.cluster }
    })
    const out: Route = { policy: route.policy, upstreams }
    if (route.bytes !== undefined) {
      if (typeof route.bytes !== 'number' || !(route.bytes >= 0))
        throw new SnapshotError(`routes.${bucket}.bytes must be a size in bytes`)
      out.bytes = route.bytes
    }
    if (route.allow_partial !== undefined) {
      if (typeof route.allow_partial !== 'boolean')
        throw new SnapshotError(`routes.${bucket}.allow_partial must be a boolean`)
      out.allow_partial = route.allow_partial
    }
    if (route.locality !== undefined) {
      if (!isLocalityMode(route.locality))
        throw new SnapshotError(`routes.${bucket}.locality must be 'prefer' or 'off'`)
      out.locality = route.locality
    }
    parsed[bucket] = out
  }
  // Absent in snapshots from before functions existed; null is not absent.
  const function_header =
    input.function_header === undefined ? DEFAULT_FUNCTION_HEADER : input.function_header
  if (typeof function_header !== 'string' || !HEADER_NAME.test(function_header))
    throw new SnapshotError('function_header must be a header name')
  return {
    lineage,
    version,
    generated_at,
    match_header,
    function_header,
    default_policy,
    routes: parsed,
    settings,
    clusters: parseClusters(input.clusters),
    functions: parseFunctions(input.functions),
  }
}

const zoneList = (v: unknown, where: string): string[] => {
  if (!Array.isArray(v) || !v.every((z) => typeof z === 'string' && ZONE.test(z)))
    throw new SnapshotError(`${where} must be an array of zone names`)
  return v as string[]
}

function parseClusters(input: unknown): Record<string, ClusterInfo> {
  const out = Object.create(null) as Record<string, ClusterInfo>
  if (input === undefined) return out
  if (!isRecord(input)) throw new SnapshotError('clusters must be an object')
  for (const [name, c] of Object.entries(input)) {
    if (!isRecord(c)) throw new SnapshotError(`clusters.${name} must be an object`)
    out[name] = { zones: zoneList(c.zones, `clusters.${name}.zones`) }
  }
  return out
}

function parseFunctions(input: unknown): Record<string, FunctionSpec> {
  const out = Object.create(null) as Record<string, FunctionSpec>
  if (input === undefined) return out
  if (!isRecord(input)) throw new SnapshotError('functions must be an object')
  for (const [name, f] of Object.entries(input)) {
    const where = `functions.${name}`
    if (!isRecord(f)) throw new SnapshotError(`${where} must be an object`)
    const zones = zoneList(f.zones, `${where}.zones`)
    if (!isRecord(f.triggers)) throw new SnapshotError(`${where}.triggers must be an object`)
    const triggers = Object.create(null) as Record<string, TriggerTarget>
    for (const [id, target] of Object.entries(f.triggers)) {
      if (!FAAS_ID_KEY.test(id))
        throw new SnapshotError(`${where}.triggers keys must be FaaS deployment ids`)
      if (typeof target !== 'string' || !isTriggerTarget(target))
        throw new SnapshotError(`${where}.triggers.${id} must be a path or an http(s) URL`)
      triggers[id] = target
    }
    out[name] = { zones, triggers }
  }
  return out
}

const isInt = (v: unknown, min: number, max: number): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max

function parseSettings(input: unknown): EdgeSettings {
  if (input === undefined) return DEFAULT_EDGE_SETTINGS // snapshots from before settings existed
  if (!isRecord(input)) throw new SnapshotError('settings must be an object')
  const { retries, retry_budget, hash_balance_factor, health_check } = input
  const allow_partial = input.allow_partial === undefined ? true : input.allow_partial
  if (typeof allow_partial !== 'boolean')
    throw new SnapshotError('settings.allow_partial must be a boolean')
  const locality = input.locality === undefined ? 'prefer' : input.locality
  if (!isLocalityMode(locality))
    throw new SnapshotError("settings.locality must be 'prefer' or 'off'")
  if (!isInt(retries, ...BOUNDS.retries))
    throw new SnapshotError('settings.retries must be 0 to 10')
  if (typeof retry_budget !== 'number' || !(retry_budget >= 0 && retry_budget <= 1))
    throw new SnapshotError('settings.retry_budget must be from 0 to 1')
  if (typeof hash_balance_factor !== 'number' || !isHashBalanceFactor(hash_balance_factor))
    throw new SnapshotError('settings.hash_balance_factor must be 0 or above 1')
  let check: HealthCheck | null = null
  if (health_check !== null) {
    if (!isRecord(health_check))
      throw new SnapshotError('settings.health_check must be an object or null')
    const { path, interval_ms, timeout_ms, healthy_threshold, unhealthy_threshold } = health_check
    if (typeof path !== 'string' || !HEALTH_PATH.test(path))
      throw new SnapshotError('settings.health_check.path must be a path starting with /')
    if (!isInt(interval_ms, ...BOUNDS.interval_ms))
      throw new SnapshotError('settings.health_check.interval_ms must be from 100 to 3600000')
    if (!isInt(timeout_ms, ...BOUNDS.timeout_ms))
      throw new SnapshotError('settings.health_check.timeout_ms must be from 10 to 60000')
    if (!isInt(healthy_threshold, ...BOUNDS.threshold))
      throw new SnapshotError('settings.health_check.healthy_threshold must be 1 to 100')
    if (!isInt(unhealthy_threshold, ...BOUNDS.threshold))
      throw new SnapshotError('settings.health_check.unhealthy_threshold must be 1 to 100')
    check = { path, interval_ms, timeout_ms, healthy_threshold, unhealthy_threshold }
  }
  return {
    retries,
    retry_budget,
    hash_balance_factor,
    health_check: check,
    allow_partial,
    locality,
  }
}

const isLocalityMode = (v: unknown): v is LocalityMode =>
  (LOCALITY_MODES as readonly unknown[]).includes(v)

/** Same routes, header and default policy (version and time aside)? */
export function sameRouteTable(a: RouteTable, b: RouteTable): boolean {
  return canonicalJson(tableOf(a)) === canonicalJson(tableOf(b))
}

/** Snapshots stored before a field existed compare as if they had its default. */
const tableOf = (t: RouteTable): RouteTable => ({
  match_header: t.match_header,
  function_header: t.function_header ?? DEFAULT_FUNCTION_HEADER,
  default_policy: t.default_policy,
  routes: t.routes,
  settings: { ...DEFAULT_EDGE_SETTINGS, ...t.settings },
  clusters: t.clusters ?? {},
  functions: t.functions ?? {},
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
