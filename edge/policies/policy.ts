/**
 * One interface for every load-balancing policy. A policy only sees the upstreams that are
 * available (health is decided elsewhere) and what the context tells it; randomness and load
 * figures are injected so pick sequences are exact in tests.
 */
import type { PolicyName, Upstream } from '../snapshot.js'

export interface PickContext {
  /** Uniform in [0, 1). */
  random(): number
  /** Requests in flight to this upstream now. */
  inflight(id: number): number
  /** Smoothed latency of this upstream in ms, faded by the time since it was measured; undefined before its first answer. */
  latency(id: number): number | undefined
  /** Smoothed requests in flight when that latency was measured; undefined before the first answer. */
  concurrency(id: number): number | undefined
  /** ms the oldest request in flight to this upstream has waited so far (0: none in flight). */
  waited(id: number): number
  /** What `hash` hashes: a header value or the client address. */
  hashKey: string
  /**
   * Bounded load for `hash` (HAProxy's hash-balance-factor): a key's upstream is skipped for the
   * key's next choice while it has more than this × the mean in flight. 0 = off.
   */
  balanceFactor: number
}

export interface Policy {
  readonly name: PolicyName
  /** Picks one of `upstreams` (never empty), or undefined if none fits. */
  pick(upstreams: readonly Upstream[], ctx: PickContext): Upstream | undefined
}

/** Index of a random element. */
export const randomIndex = (length: number, ctx: PickContext): number =>
  Math.min(length - 1, Math.floor(ctx.random() * length))

/** The upstream with the lowest score; ties broken uniformly at random (reservoir sampling). */
export function pickLowest(
  upstreams: readonly Upstream[],
  score: (u: Upstream) => number,
  ctx: PickContext,
): Upstream | undefined {
  let best = upstreams[0]
  let bestScore = Infinity
  let ties = 0
  for (const u of upstreams) {
    const value = score(u)
    if (value < bestScore) {
      best = u
      bestScore = value
      ties = 1
    } else if (value === bestScore && ctx.random() * ++ties < 1) {
      best = u
    }
  }
  return best
}
