/**
 * Holds the last good route snapshot. A new one is swapped in with a single assignment, only
 * when it is valid and newer; anything else is refused and the current one kept.
 * Per-route policy instances (e.g. round-robin counters) are made lazily and reset on a swap.
 */
import { createPolicy } from './policies/registry.js'
import type { Policy } from './policies/policy.js'
import { parseSnapshot, type Route, type RouteSnapshot } from './snapshot.js'

export type OfferResult =
  | { applied: true; version: number }
  | { applied: false; version: number | undefined; reason: string }

export class SnapshotStore {
  #current: RouteSnapshot | undefined
  #appliedAt: Date | undefined
  #policies = new Map<string, Policy>()
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

  offer(input: unknown): OfferResult {
    let next: RouteSnapshot
    try {
      next = parseSnapshot(input)
    } catch (err) {
      return { applied: false, version: this.#current?.version, reason: (err as Error).message }
    }
    if (this.#current && next.version <= this.#current.version) {
      return {
        applied: false,
        version: this.#current.version,
        reason: `version ${next.version} is not newer than ${this.#current.version}`,
      }
    }
    this.#policies = new Map()
    this.#current = next
    this.#appliedAt = new Date()
    this.#onApply?.(next)
    return { applied: true, version: next.version }
  }

  route(bucket: string): Route | undefined {
    const routes = this.#current?.routes
    return routes && Object.hasOwn(routes, bucket) ? routes[bucket] : undefined
  }

  policyFor(bucket: string, route: Route): Policy {
    let policy = this.#policies.get(bucket)
    if (!policy || policy.name !== route.policy) {
      policy = createPolicy(route.policy)
      this.#policies.set(bucket, policy)
    }
    return policy
  }
}
