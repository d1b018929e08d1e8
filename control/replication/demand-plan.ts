/**
 * Pure: replicas on demand (issue 24). For a bucket that opted in (`demand`), given what edges
 * reported per zone over the bucket's window, which replicas to add where invocations come from,
 * and which demand-made replicas to remove once their zone has gone quiet. Within policy only:
 * a zone the bucket's `zones` do not allow is never entered, the master and the replicas its
 * policy or manual `replica_locations` place are never touched (only demand-made ones are
 * removed, so a bucket never falls below `target_replica_count`).
 *
 * - **Add** a replica in zone z when the invocations from z that were served outside it reach the
 *   bucket's threshold (a rate per minute over the window), z holds no copy yet, and a storage
 *   deployment in z sits in a cluster with a FaaS deployment (a copy elsewhere serves nobody).
 * - **Threshold and size**: `min_rate_per_min × (1 + bytes ÷ size_unit_bytes)` — each
 *   `size_unit_bytes` (default 1 GiB) of the bucket adds `min_rate_per_min` to the rate needed, so
 *   a 50 GB bucket needs ~50× the demand of a 5 MB one before it is copied: the copy's cost grows
 *   with its size, the gain with the traffic.
 * - **Keep / remove (hysteresis)**: a demand-made replica stays while its zone's demand (all of it:
 *   once local it is no longer remote) is at least half the threshold; it is removed once it has
 *   stayed under that for `ttl_s`. Demand that moves away and comes back within the TTL finds
 *   the replica still there.
 * - **Bounds**: at most `max_replicas` demand-made replicas, and at most MAX_CHANGES_PER_HOUR
 *   additions and removals a bucket an hour — a replica made for a zone that is no longer allowed
 *   is removed whatever the bound.
 * Every decision carries its reason; a zone whose demand is over the threshold and gets nothing
 * says why (`held`).
 */
export interface DemandSettings {
  enabled: boolean
  /** Invocations a minute served outside a zone that make a replica there worth it (small bucket). */
  min_rate_per_min: number
  /** Seconds of demand the rate is measured over. */
  window_s: number
  /** Seconds a demand-made replica stays after its zone's demand fell under half the threshold. */
  ttl_s: number
  /** Demand-made replicas a bucket may have at once. */
  max_replicas: number
  /** Each this many bytes of the bucket adds min_rate_per_min to the rate a replica needs. */
  size_unit_bytes: number
}

/** What `demand: {}` means (README "Replicas on demand"). */
export const DEMAND_DEFAULTS: DemandSettings = {
  enabled: true,
  min_rate_per_min: 60,
  window_s: 300,
  ttl_s: 1_800,
  max_replicas: 2,
  size_unit_bytes: 1024 ** 3,
}

export const MAX_CHANGES_PER_HOUR = 4
export const GIB = 1024 ** 3

export interface DemandReplica {
  storage_id: number
  zone: string
  added_at: number
  /** When the zone's demand was last at least half the threshold (ms). */
  last_demand_at: number
}

export interface DemandPlanInput {
  bucket: {
    name: string
    storage_id: number
    /** Zones replicas may be placed in; empty = anywhere. */
    zones: readonly string[]
    total_bytes: number
    demand: DemandSettings
  }
  storages: readonly { storage_id: number; cluster_id: number }[]
  clusters: readonly { cluster_id: number; zones: readonly string[] }[]
  /** Clusters that have a FaaS deployment. */
  faasClusters: ReadonlySet<number>
  /** Storage deployments holding a copy now or about to (master, every replica, syncing too). */
  copies: readonly number[]
  demandReplicas: readonly DemandReplica[]
  /** Per edge zone over the window: invocations, and those served outside the zone. */
  demand: readonly { zone: string | null; invocations: number; remote: number }[]
  /** Additions and removals of this bucket in the last hour. */
  changesLastHour: number
  now: number
}

export interface DemandDecision {
  storage_id: number
  zone: string
  reason: string
}

export interface DemandPlan {
  add: DemandDecision[]
  remove: DemandDecision[]
  /** Demand-made replicas whose zone still has demand: their last_demand_at becomes now. */
  refresh: number[]
  /** Zones over the threshold that get no replica, and why. */
  held: { zone: string; reason: string }[]
  /** The rate (per minute) a zone's remote demand must reach. */
  threshold_per_min: number
}

const perMin = (n: number, windowS: number) => n / (windowS / 60)
const rate = (r: number) => (r >= 10 ? Math.round(r) : Math.round(r * 10) / 10)
const span = (s: number) =>
  s % 3600 === 0 ? `${s / 3600} h` : s % 60 === 0 ? `${s / 60} min` : `${s} s`
const size = (bytes: number) =>
  bytes >= GIB / 10 ? `${(bytes / GIB).toFixed(1)} GiB` : `${Math.ceil(bytes / 1024 ** 2)} MiB`

/** The rate a zone's remote demand must reach: min_rate_per_min more for each size unit of the bucket. */
export const demandThreshold = (settings: DemandSettings, bytes: number): number =>
  settings.min_rate_per_min * (1 + Math.max(0, bytes) / settings.size_unit_bytes)

export function planDemand(input: DemandPlanInput): DemandPlan {
  const { bucket, now } = input
  const settings = bucket.demand
  const threshold = demandThreshold(settings, bucket.total_bytes)
  const out: DemandPlan = {
    add: [],
    remove: [],
    refresh: [],
    held: [],
    threshold_per_min: threshold,
  }
  if (!settings.enabled) return out

  const zonesOf = new Map(input.clusters.map((c) => [c.cluster_id, c.zones]))
  const clusterOf = new Map(input.storages.map((s) => [s.storage_id, s.cluster_id]))
  const inZone = (storageId: number, zone: string) =>
    (zonesOf.get(clusterOf.get(storageId) ?? -1) ?? []).includes(zone)
  const allowed = (zone: string) => bucket.zones.length === 0 || bucket.zones.includes(zone)
  const byZone = new Map(input.demand.flatMap((d) => (d.zone === null ? [] : [[d.zone, d]])))
  let changes = input.changesLastHour
  const window = span(settings.window_s)

  // Demand-made replicas first: keep, refresh or remove.
  let kept = 0
  for (const r of input.demandReplicas) {
    const d = byZone.get(r.zone)
    const zoneRate = d ? perMin(d.invocations, settings.window_s) : 0
    if (!allowed(r.zone)) {
      out.remove.push({
        storage_id: r.storage_id,
        zone: r.zone,
        reason: `removed: zone ${r.zone} is no longer among the bucket's zones (${bucket.zones.join(', ')})`,
      })
      changes++
      continue
    }
    if (zoneRate >= threshold / 2) {
      out.refresh.push(r.storage_id)
      kept++
      continue
    }
    if (now - r.last_demand_at >= settings.ttl_s * 1000 && changes < MAX_CHANGES_PER_HOUR) {
      out.remove.push({
        storage_id: r.storage_id,
        zone: r.zone,
        reason: `removed: demand from zone ${r.zone} stayed under ${rate(threshold / 2)}/min (half the threshold) for ${span(settings.ttl_s)}`,
      })
      changes++
      continue
    }
    kept++
  }

  // Then zones whose demand is served elsewhere: add where it is allowed and worth it.
  const hot = [...byZone.values()]
    .map((d) => ({ zone: d.zone as string, remote: perMin(d.remote, settings.window_s) }))
    .filter((d) => d.remote >= threshold)
    .sort((a, b) => b.remote - a.remote || a.zone.localeCompare(b.zone))
  const copies = new Set(input.copies)
  for (const { zone, remote } of hot) {
    const hold = (reason: string) => out.held.push({ zone, reason })
    const demandText = `${rate(remote)} invocations/min from zone ${zone} served elsewhere over ${window}`
    if (!allowed(zone)) {
      hold(
        `${demandText}, but the bucket's zones (${bucket.zones.join(', ')}) do not include ${zone}`,
      )
      continue
    }
    if ([...copies].some((id) => inZone(id, zone))) {
      hold(`${demandText}; a copy in zone ${zone} is there already (not serving yet)`)
      continue
    }
    const candidates = input.storages
      .filter(
        (s) =>
          !copies.has(s.storage_id) &&
          inZone(s.storage_id, zone) &&
          input.faasClusters.has(s.cluster_id),
      )
      .sort((a, b) => a.storage_id - b.storage_id)
    const pick = candidates[0]
    if (!pick) {
      hold(
        `${demandText}, but zone ${zone} has no storage deployment in a cluster with a FaaS deployment`,
      )
      continue
    }
    if (kept + out.add.length >= settings.max_replicas) {
      hold(`${demandText}, but the bucket has its ${settings.max_replicas} replicas on demand`)
      continue
    }
    if (changes >= MAX_CHANGES_PER_HOUR) {
      hold(`${demandText}, but the bucket changed ${MAX_CHANGES_PER_HOUR} times in the last hour`)
      continue
    }
    out.add.push({
      storage_id: pick.storage_id,
      zone,
      reason: `added on demand: ${demandText} (threshold ${rate(threshold)}/min for ${size(bucket.total_bytes)})`,
    })
    copies.add(pick.storage_id)
    changes++
  }
  return out
}
