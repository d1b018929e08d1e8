/**
 * Holds the last good route snapshot. A new one is swapped in with a single assignment when it
 * is valid and either newer in the same lineage or of another lineage (control's database was
 * restored or reset, so its versions started again); an older one of the same lineage, or an
 * invalid one, is refused and the current one kept. A snapshot restored from disk at start is
 * provisional: whatever valid snapshot control answers first replaces it.
 * It holds snapshots (and the placement index of the current one), not policy state
 * (policy-state.ts).
 */
import { buildPlacementIndex, type PlacementIndex } from './placement.js'
import { parseSnapshot, type Route, type RouteSnapshot } from './snapshot.js'

const EMPTY = {
  routes: {},
  functions: {},
  clusters: {},
  settings: { allow_partial: true },
} as unknown as RouteSnapshot

export type OfferResult =
  | { applied: true; version: number }
  | { applied: false; version: number | undefined; reason: string }

/** The last snapshot refused (other than an equal one), for /_fado/status. */
export interface Refusal {
  version: number | null
  lineage: string | null
  reason: string
  at: string
}

export class SnapshotStore {
  #current: RouteSnapshot | undefined
  #provisional = false
  #refused: Refusal | undefined
  #appliedAt: Date | undefined
  #placement: PlacementIndex = buildPlacementIndex(EMPTY)
  #onApply: ((snapshot: RouteSnapshot) => void) | undefined

  constructor(onApply?: (snapshot: RouteSnapshot) => void) {
    this.#onApply = onApply
  }

  get current(): RouteSnapshot | undefined {
    return this.#current
  }

  /** When the current snapshot was swapped in. */
  get appliedAt(): Date | undefined {
    return this.#appliedAt
  }

  /** The snapshot refused last (not counting one equal to the current). */
  get refused(): Refusal | undefined {
    return this.#refused
  }

  /** A refusal made elsewhere for this store (an edge worker's primary pulls for it). */
  noteRefusal(refused: Refusal | undefined): void {
    this.#refused = refused
  }

  /** Offers a snapshot; `provisional` marks one restored from disk (see above). */
  offer(input: unknown, options: { provisional?: boolean } = {}): OfferResult {
    let next: RouteSnapshot
    try {
      next = parseSnapshot(input)
    } catch (err) {
      return this.#refuse(input, (err as Error).message)
    }
    const current = this.#current
    if (current && !this.#provisional && next.lineage === current.lineage) {
      if (next.version === current.version)
        return {
          applied: false,
          version: current.version,
          reason: `version ${next.version} is not newer`,
        }
      if (next.version < current.version)
        return this.#refuse(
          next,
          `version ${next.version} is older than ${current.version} of the same lineage ${current.lineage}`,
        )
    }
    this.#provisional = options.provisional === true
    this.#refused = undefined
    this.#placement = buildPlacementIndex(next)
    this.#current = next
    this.#appliedAt = new Date()
    this.#onApply?.(next)
    return { applied: true, version: next.version }
  }

  #refuse(input: unknown, reason: string): OfferResult {
    const s = (input ?? {}) as { version?: unknown; lineage?: unknown }
    this.#refused = {
      version: typeof s.version === 'number' ? s.version : null,
      lineage: typeof s.lineage === 'string' ? s.lineage : null,
      reason,
      at: new Date().toISOString(),
    }
    return { applied: false, version: this.#current?.version, reason }
  }

  route(bucket: string): Route | undefined {
    const routes = this.#current?.routes
    return routes && Object.hasOwn(routes, bucket) ? routes[bucket] : undefined
  }

  /** Functions and cluster zones of the current snapshot, indexed for placement. */
  get placement(): PlacementIndex {
    return this.#placement
  }
}
