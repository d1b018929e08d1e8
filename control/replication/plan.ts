/**
 * Pure: which storage deployments should hold a replica of a bucket (thesis §4.1.5, §7.2).
 * - Candidates: every storage deployment but the master's, in a cluster sharing one of the
 *   bucket's allowed zones (no zones = anywhere).
 * - Manual `replica_locations` replace the automatic choice entirely.
 * - Otherwise up to `target_replica_count` candidates. Stable: current replicas that are still
 *   candidates are kept before anything new is added, so replicas never move without cause.
 *   New ones go first to clusters holding no copy yet, then by a rendezvous hash of
 *   (bucket, storage) so different buckets spread over different deployments, deterministically.
 * - Replicas made on demand (demand-plan.ts) are wanted besides all of that.
 */
import { hash32 } from '../../edge/policies/hash.js'

export interface PlanStorage {
  storage_id: number
  cluster_id: number
}

export interface PlanInput {
  bucket: {
    name: string
    storage_id: number
    zones: readonly string[]
    target_replica_count: number
    replica_locations: readonly number[] | null
  }
  storages: readonly PlanStorage[]
  clusters: readonly { cluster_id: number; zones: readonly string[] }[]
  /** Storage ids currently holding a replica. */
  current: readonly number[]
  /**
   * Storage ids the demand planner wants (demand-plan.ts): wanted besides the policy's choice,
   * and not counted towards it, so the policy's replicas never move because of demand.
   */
  demand?: readonly number[] | undefined
}

export interface ReplicaPlan {
  /** Desired replica storage ids, ascending. */
  desired: number[]
  add: number[]
  remove: number[]
}

export function planReplicas(input: PlanInput): ReplicaPlan {
  const { bucket } = input
  const storageById = new Map(input.storages.map((s) => [s.storage_id, s]))
  const desired = new Set<number>()

  if (bucket.replica_locations !== null) {
    for (const id of bucket.replica_locations) {
      if (id !== bucket.storage_id && storageById.has(id)) desired.add(id)
    }
  } else {
    const zonesOf = new Map(input.clusters.map((c) => [c.cluster_id, c.zones]))
    const allowed = (s: PlanStorage) =>
      bucket.zones.length === 0 ||
      (zonesOf.get(s.cluster_id) ?? []).some((z) => bucket.zones.includes(z))
    const candidates = input.storages.filter(
      (s) => s.storage_id !== bucket.storage_id && allowed(s),
    )
    const target = Math.max(0, Math.min(bucket.target_replica_count, candidates.length))
    const candidateIds = new Set(candidates.map((s) => s.storage_id))

    const byDemand = new Set(input.demand ?? [])
    const kept = [...input.current]
      .filter((id) => candidateIds.has(id) && !byDemand.has(id))
      .sort((a, b) => a - b)
    for (const id of kept.slice(0, target)) desired.add(id)

    const clustersWithCopy = new Set<number>([storageById.get(bucket.storage_id)?.cluster_id ?? -1])
    for (const id of desired) clustersWithCopy.add(storageById.get(id)?.cluster_id ?? -1)
    const ranked = candidates
      .filter((s) => !desired.has(s.storage_id))
      .map((s) => ({ s, score: rendezvous(bucket.name, s.storage_id) }))
      .sort((a, b) => b.score - a.score || a.s.storage_id - b.s.storage_id)
    while (desired.size < target && ranked.length > 0) {
      // Prefer a cluster without a copy; fall back to the best-ranked of the rest.
      const i = ranked.findIndex((r) => !clustersWithCopy.has(r.s.cluster_id))
      const [pick] = ranked.splice(i === -1 ? 0 : i, 1)
      if (!pick) break
      desired.add(pick.s.storage_id)
      clustersWithCopy.add(pick.s.cluster_id)
    }
  }

  for (const id of input.demand ?? [])
    if (id !== bucket.storage_id && storageById.has(id)) desired.add(id)

  const current = new Set(input.current)
  const sortedDesired = [...desired].sort((a, b) => a - b)
  return {
    desired: sortedDesired,
    add: sortedDesired.filter((id) => !current.has(id)),
    remove: [...current].filter((id) => !desired.has(id)).sort((a, b) => a - b),
  }
}

/** A stable pseudo-random rank per (bucket, storage): the hash the `hash` policy uses. */
const rendezvous = (bucket: string, storageId: number): number => hash32(`${bucket}/${storageId}`)
