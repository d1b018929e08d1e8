/**
 * fastest: the upstream expected to answer soonest. Expected time = its latency EWMA, scaled up by
 * how much more it has in flight now than when that latency was measured:
 *   cost = latency × max(1, (in flight + 1) / concurrency)
 * A server that answered in 20 ms with 8 calls at once is not expected to take 8× longer for a
 * ninth, as the classic peak-EWMA cost latency × (1 + in flight) assumes. Every upstream is
 * compared (a bucket has a handful), not a random two: with three clusters, power-of-two-choices
 * hands a third of the calls to the best of the two slower ones whatever the fastest is doing
 * (bench/RESULTS.md). An upstream not yet measured costs 0, so every new upstream gets tried;
 * ties are broken at random. A measurement loses half its weight every HALF_LIFE_MS it is not
 * renewed, so an upstream passed over for being slow is tried again now and then and can win its
 * traffic back once it has recovered.
 */
import { pickLowest, type Policy, type PickContext } from './policy.js'
import type { Upstream } from '../snapshot.js'

export const HALF_LIFE_MS = 5_000

const cost = (u: Upstream, ctx: PickContext): number =>
  (ctx.latency(u.id) ?? 0) *
  2 ** (-ctx.age(u.id) / HALF_LIFE_MS) *
  Math.max(1, (1 + ctx.inflight(u.id)) / (ctx.concurrency(u.id) ?? 1))

export function fastest(): Policy {
  return {
    name: 'fastest',
    pick: (upstreams, ctx) => pickLowest(upstreams, (u) => cost(u, ctx), ctx),
  }
}
