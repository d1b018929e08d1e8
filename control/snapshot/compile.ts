/**
 * Pure: turns database rows into the route table (DESIGN.md "Route snapshot").
 * A bucket's upstreams are the FaaS deployments of the clusters that hold its master copy or a
 * synced replica; a route override replaces the upstreams (by FaaS id) and/or the policy, and may
 * forbid partial placement. Functions and cluster zones travel beside the routes, once each.
 */
import type {
  ClusterInfo,
  EdgeSettings,
  FunctionSpec,
  LocalityMode,
  PolicyName,
  Route,
  RouteTable,
  Upstream,
} from '../../edge/snapshot.js'

export interface RouteOverride {
  policy?: PolicyName | undefined
  faas_ids?: number[] | undefined
  /** false: never place an invocation naming this bucket with others on a partial holder. */
  allow_partial?: boolean | undefined
  /** Overrides the load balancer's locality for this bucket. */
  locality?: LocalityMode | undefined
}

export interface RouteInputs extends EdgeSettings {
  match_header: string
  function_header: string
  default_policy: PolicyName
  clusters: readonly { cluster_id: number; name: string; zones: readonly string[] }[]
  faas: readonly { faas_id: number; cluster_id: number; url: string }[]
  /** One row per (bucket, cluster holding a servable copy). Buckets without copies still appear. */
  bucket_clusters: readonly { bucket_name: string; cluster_id: number | null }[]
  /** Bucket name → bytes on its master (as indexed). */
  bucket_bytes: ReadonlyMap<string, number>
  functions: readonly {
    name: string
    zones: readonly string[]
    triggers: readonly { faas_id: number; target: string }[]
  }[]
  overrides: Readonly<Record<string, RouteOverride>>
}

/** Two significant digits: a bucket that grows a little does not make a new snapshot version. */
export function roughBytes(n: number): number {
  if (!(n >= 100)) return Math.max(0, Math.round(n) || 0)
  const step = 10 ** (Math.floor(Math.log10(n)) - 1)
  return Math.round(n / step) * step
}

export function compileRoutes(input: RouteInputs): RouteTable {
  const clusterName = new Map(input.clusters.map((c) => [c.cluster_id, c.name]))
  const toUpstream = (f: RouteInputs['faas'][number]): Upstream => ({
    id: f.faas_id,
    url: f.url,
    cluster: clusterName.get(f.cluster_id) ?? String(f.cluster_id),
  })
  const faasById = new Map(input.faas.map((f) => [f.faas_id, f]))
  const faasByCluster = new Map<number, RouteInputs['faas'][number][]>()
  for (const f of input.faas) {
    const list = faasByCluster.get(f.cluster_id) ?? []
    list.push(f)
    faasByCluster.set(f.cluster_id, list)
  }
  const holders = new Map<string, Set<number>>()
  for (const row of input.bucket_clusters) {
    const set = holders.get(row.bucket_name) ?? new Set<number>()
    if (row.cluster_id !== null) set.add(row.cluster_id)
    holders.set(row.bucket_name, set)
  }

  const routes: Record<string, Route> = {}
  for (const bucket of [...holders.keys()].sort()) {
    const override = input.overrides[bucket]
    // Pinned FaaS deployments keep the order the override gives (`first` fails over along it);
    // otherwise upstreams are ordered by id, so equal tables compile to equal snapshots.
    const faas = override?.faas_ids
      ? override.faas_ids.flatMap((id) => faasById.get(id) ?? [])
      : [...(holders.get(bucket) ?? [])]
          .flatMap((cluster) => faasByCluster.get(cluster) ?? [])
          .sort((a, b) => a.faas_id - b.faas_id)
    const route: Route = {
      policy: override?.policy ?? input.default_policy,
      upstreams: faas.map(toUpstream),
      bytes: roughBytes(input.bucket_bytes.get(bucket) ?? 0),
    }
    if (override?.allow_partial !== undefined) route.allow_partial = override.allow_partial
    if (override?.locality !== undefined) route.locality = override.locality
    routes[bucket] = route
  }
  const clusters: Record<string, ClusterInfo> = {}
  for (const c of [...input.clusters].sort((a, b) => a.cluster_id - b.cluster_id))
    clusters[c.name] = { zones: [...c.zones] }
  const functions: Record<string, FunctionSpec> = {}
  for (const f of [...input.functions].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const triggers: Record<string, string> = {}
    for (const t of f.triggers) if (faasById.has(t.faas_id)) triggers[t.faas_id] = t.target
    functions[f.name] = { zones: [...f.zones], triggers }
  }
  const { retries, retry_budget, hash_balance_factor, health_check, allow_partial, locality } =
    input
  return {
    match_header: input.match_header,
    function_header: input.function_header,
    default_policy: input.default_policy,
    routes,
    settings: { retries, retry_budget, hash_balance_factor, health_check, allow_partial, locality },
    clusters,
    functions,
  }
}
