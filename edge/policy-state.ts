/**
 * Per-route policy state (round-robin counters, least-conn's view) for the snapshot in force:
 * made lazily on a route's first invocation, dropped when another snapshot is swapped in. The
 * store holds snapshots; this holds what the policies remember about them.
 */
import { createPolicy } from './policies/registry.js'
import type { Policy } from './policies/policy.js'
import type { Route, RouteSnapshot } from './snapshot.js'

/** Keys of bucket combinations come from clients: their number is bounded. */
const MAX_POLICY_KEYS = 100_000

export class PolicyStates {
  #snapshot: RouteSnapshot | undefined
  #policies = new Map<string, Policy>()

  /** The policy state kept for a bucket (or a set of buckets named together) of `snapshot`. */
  of(snapshot: RouteSnapshot, key: string, route: Route): Policy {
    if (snapshot !== this.#snapshot) {
      this.#snapshot = snapshot
      this.#policies = new Map()
    }
    let policy = this.#policies.get(key)
    if (!policy || policy.name !== route.policy) {
      if (this.#policies.size >= MAX_POLICY_KEYS) this.#policies.clear()
      policy = createPolicy(route.policy)
      this.#policies.set(key, policy)
    }
    return policy
  }
}
