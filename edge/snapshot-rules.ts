/**
 * What each field of a route snapshot may hold: the names, patterns, bounds and defaults that both
 * the snapshot's schema (snapshot-schema.ts) and the edge's own check (snapshot.ts parseSnapshot)
 * read, so the two cannot drift apart. Pure: no I/O, no dependencies.
 */

export const POLICY_NAMES = [
  'round_robin',
  'least_conn',
  'random',
  'first',
  'hash',
  'fastest',
] as const

/** RFC 9110 token characters: what a header name may contain. */
export const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

export const LINEAGE = /^[0-9A-Za-z-]{1,64}$/

/** An upstream's URL: http or https, maybe a path prefix, no query or fragment. */
export const UPSTREAM_URL = /^https?:\/\/[^/?#]+(\/[^?#]*)?$/

export const ZONE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/

/** A FaaS deployment id as a key of a function's triggers. */
export const FAAS_ID_KEY = /^[1-9][0-9]{0,9}$/

/** A trigger path (no query, no dot or empty segment) or an absolute http(s) URL without query. */
export const TRIGGER_PATH = /^(\/(?!\.{1,2}(?:\/|$))[A-Za-z0-9._~!$&'()*+,;=:@-]+)+$/
export const TRIGGER_URL = /^https?:\/\/[^/?#\s@]+(\/[^?#\s]*)?$/
export const isTriggerTarget = (t: string): boolean =>
  t.length <= 2048 && (t.startsWith('/') ? TRIGGER_PATH.test(t) : TRIGGER_URL.test(t))

/** A health check's path: starts with /, may carry a query. */
export const HEALTH_PATH = /^\/[^\s?#]*(\?[^\s#]*)?$/

/** Inclusive integer bounds of the settings. */
export const BOUNDS = {
  retries: [0, 10],
  interval_ms: [100, 3_600_000],
  timeout_ms: [10, 60_000],
  threshold: [1, 100],
} as const

/** Locality-aware routing (locality.ts): prefer upstreams in the edge's zone, or not. */
export const LOCALITY_MODES = ['prefer', 'off'] as const

export const isHashBalanceFactor = (f: number): boolean => f === 0 || (f > 1 && f <= 100)

export const DEFAULT_FUNCTION_HEADER = 'X-FaDO-Function'

/** Settings of a snapshot from before settings existed. */
export const DEFAULT_EDGE_SETTINGS = {
  retries: 2,
  retry_budget: 0.2,
  hash_balance_factor: 0,
  health_check: null,
  allow_partial: true,
  locality: 'prefer' as const,
}
