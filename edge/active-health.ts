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
  readonly #entries = new Map<number, { healthy: boolean; run: number }>()

  /** Records one probe; returns the new verdict when it changed. */
  record(id: number, ok: boolean, check: HealthCheck): boolean | undefined {
    const entry = this.#entries.get(id) ?? { healthy: true, run: 0 }
    this.#entries.set(id, entry)
    // `run` counts probes in a row that disagree with the current verdict.
    if (ok === entry.healthy) {
      entry.run = 0
      return undefined
    }
    entry.run++
    const needed = entry.healthy ? check.unhealthy_threshold : check.healthy_threshold
    if (entry.run < needed) return undefined
    entry.healthy = ok
    entry.run = 0
    return ok
  }

  /** Forgets upstreams no longer routed to. */
  keep(ids: ReadonlySet<number>): void {
    for (const id of this.#entries.keys()) if (!ids.has(id)) this.#entries.delete(id)
  }
}

/** The distinct upstreams of a snapshot. */
export function upstreamsOf(snapshot: RouteSnapshot): Upstream[] {
  const byId = new Map<number, Upstream>()
  for (const route of Object.values(snapshot.routes))
    for (const u of route.upstreams) byId.set(u.id, u)
  return [...byId.values()]
}
