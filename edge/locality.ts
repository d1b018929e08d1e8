/**
 * Pure: locality-aware routing, the same on Node and Workers. An edge that knows its zone
 * (`fado edge --zone`, `standalone --edge-zone`, Workers `FADO_EDGE_ZONE` or its zone map) calls
 * an upstream *local* when the upstream's cluster has that zone. With `locality: "prefer"` (the
 * load balancer's setting, or a bucket's route override) the policy picks among the local
 * upstreams that are available and not overloaded; only when there is none does it pick among
 * every available upstream (the spill). Retries follow the same rule over what is left untried, so
 * a failed local upstream falls over to another local one before a remote.
 *
 * The spill rule: a local upstream is overloaded when it has more requests in flight than
 * SPILL_FACTOR × the least-loaded remote one, plus SPILL_SLACK. In-flight count is the queue an
 * invocation joins; at equal service rates, twice the queue is twice the wait, which for the
 * functions FaDO fronts (tens of ms) soon costs more than a WAN round trip. The slack keeps a few
 * requests in flight — the normal state of a busy local upstream — from ever spilling, so low
 * traffic stays local and a burst does not flap between zones.
 */
import type { LocalityMode, Upstream } from './snapshot.js'

export const SPILL_FACTOR = 2
export const SPILL_SLACK = 4

/** Answer header: whether the upstream that answered is in the edge's zone. */
export const LOCALITY_HEADER = 'x-fado-locality'

/** Where an edge stands, and how the clusters of its snapshot are zoned. */
export interface Locality {
  /** The edge's zone; undefined: the edge does not know it (nothing is local). */
  zone: string | undefined
  clusterZones: ReadonlyMap<string, ReadonlySet<string>>
}

export const isLocal = (u: Upstream, where: Locality): boolean =>
  where.zone !== undefined && where.clusterZones.get(u.cluster)?.has(where.zone) === true

/**
 * The upstreams the policy picks among: with `prefer`, the local ones that are not overloaded,
 * else all of `available` (already filtered by health). Returns `available` itself when nothing
 * narrows it, so the common case allocates nothing.
 */
export function preferLocal(
  available: readonly Upstream[],
  mode: LocalityMode,
  where: Locality,
  inflight: (id: number) => number,
): readonly Upstream[] {
  if (mode === 'off' || where.zone === undefined || available.length < 2) return available
  let leastRemote = Infinity
  let locals = 0
  for (const u of available) {
    if (isLocal(u, where)) locals++
    else leastRemote = Math.min(leastRemote, inflight(u.id))
  }
  if (locals === 0 || leastRemote === Infinity) return available
  const limit = SPILL_FACTOR * leastRemote + SPILL_SLACK
  const chosen = available.filter((u) => isLocal(u, where) && inflight(u.id) <= limit)
  return chosen.length > 0 ? chosen : available
}
