/**
 * Active health checks (beside the passive ones in upstream-state.ts): every upstream of the
 * served snapshot is probed at `settings.health_check.path` every interval; `unhealthy_threshold`
 * failures in a row take it out of rotation, `healthy_threshold` successes in a row bring it
 * back. Pure: the verdicts (ActiveHealth); node-prober.ts runs the probes on a timer and reports
 * changes (the primary hands them to every edge worker). Workers isolates have no timers to probe
 * on: there the passive checks decide alone.
 */
import type { HealthCheck, RouteSnapshot, Upstream } from './snapshot.js'

export class ActiveHealth {
  /** `known`: a verdict has been reported (an upstream starts healthy, but not yet said so). */
  readonly #entries = new Map<number, { healthy: boolean; run: number; known: boolean }>()

  /**
   * Records one probe; returns the verdict when it changed, or when it is the first one: a
   * passing probe at once, a failing one after `unhealthy_threshold` failures in a row.
   */
  record(id: number, ok: boolean, check: HealthCheck): boolean | undefined {
    const entry = this.#entries.get(id) ?? { healthy: true, run: 0, known: false }
    this.#entries.set(id, entry)
    // `run` counts probes in a row that disagree with the current verdict.
    if (ok === entry.healthy) {
      entry.run = 0
      if (entry.known) return undefined
      entry.known = true
      return ok
    }
    entry.run++
    const needed = entry.healthy ? check.unhealthy_threshold : check.healthy_threshold
    if (entry.run < needed) return undefined
    entry.healthy = ok
    entry.run = 0
    entry.known = true
    return ok
  }

  /** Forgets upstreams no longer routed to (all of them when the check is turned off). */
  keep(ids: ReadonlySet<number>): number[] {
    const gone = [...this.#entries.keys()].filter((id) => !ids.has(id))
    for (const id of gone) this.#entries.delete(id)
    return gone
  }
}

/** The distinct upstreams of a snapshot. */
export function upstreamsOf(snapshot: RouteSnapshot): Upstream[] {
  const byId = new Map<number, Upstream>()
  for (const route of Object.values(snapshot.routes))
    for (const u of route.upstreams) byId.set(u.id, u)
  return [...byId.values()]
}
