/**
 * Pure: turns database rows into the route table (DESIGN.md "Route snapshot").
 * A bucket's upstreams are the FaaS deployments of the clusters that hold its master copy or a
 * synced replica; a route override replaces the upstreams (by FaaS id) and/or the policy.
 */
import type { EdgeSettings, PolicyName, Route, RouteTable, Upstream } from '../../edge/snapshot.js'

export interface RouteOverride {
  policy?: PolicyName | undefined
  faas_ids?: number[] | undefined
}

export interface RouteInputs extends EdgeSettings {
  match_header: string
  default_policy: PolicyName
  clusters: readonly { cluster_id: number; name: string }[]
  faas: readonly { faas_id: number; cluster_id: number; url: string }[]
  /** One row per (bucket, cluster holding a servable copy). Buckets without copies still appear. */
  bucket_clusters: readonly { bucket_name: string; cluster_id: number | null }[]
  overrides: Readonly<Record<string, RouteOverride>>
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
    routes[bucket] = {
      policy: override?.policy ?? input.default_policy,
      upstreams: faas.map(toUpstream),
    }
  }
  const { retries, retry_budget, hash_balance_factor, health_check } = input
  return {
    match_header: input.match_header,
    default_policy: input.default_policy,
    routes,
    settings: { retries, retry_budget, hash_balance_factor, health_check },
  }
}
