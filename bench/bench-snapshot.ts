/**
 * The generated snapshot the edge benchmarks serve: `routes` buckets `bucket-<i>`, all routed
 * round robin to the given upstreams (cluster `c<n>`, zone `zone-a`), and `functions` functions
 * `fn-<i>`, each with a trigger `/function/fn-<i>` on every upstream.
 */
import {
  DEFAULT_EDGE_SETTINGS,
  type FunctionSpec,
  type Route,
  type RouteSnapshot,
} from '../edge/snapshot.js'

export function benchSnapshot(
  routes: number,
  functions: number,
  upstreamUrls: readonly string[],
): RouteSnapshot {
  const upstreams = upstreamUrls.map((url, i) => ({ id: i + 1, url, cluster: `c${i + 1}` }))
  const table: Record<string, Route> = {}
  for (let i = 0; i < routes; i++)
    table[`bucket-${i}`] = { policy: 'round_robin', upstreams, bytes: 1_000_000 }
  const fns: Record<string, FunctionSpec> = {}
  for (let i = 0; i < functions; i++)
    fns[`fn-${i}`] = {
      zones: [],
      triggers: Object.fromEntries(upstreams.map((u) => [String(u.id), `/function/fn-${i}`])),
    }
  return {
    lineage: 'bench',
    settings: DEFAULT_EDGE_SETTINGS,
    version: 1,
    generated_at: new Date().toISOString(),
    match_header: 'X-FaDO-Bucket',
    function_header: 'X-FaDO-Function',
    clusters: Object.fromEntries(upstreams.map((u) => [u.cluster, { zones: ['zone-a'] }])),
    functions: fns,
    default_policy: 'round_robin',
    routes: table,
  }
}
