/**
 * fastest: the upstream expected to answer soonest — a peak-sensitive latency (Finagle's and
 * Linkerd's peak EWMA) that also counts calls still waiting, scaled by load:
 *   cost = max(latency, age of its oldest call in flight) × max(1, (in flight + 1) / concurrency)
 * - Peak-sensitive: a slower answer raises the latency at once; faster ones bring it down
 *   gradually (UpstreamState smooths them), so one fast answer does not hide a slow phase.
 * - A call in flight is charged its age as it grows, not only when it answers: an endpoint that
 *   turns slow stops getting calls within a few of its usual latencies (as soon as its oldest call
 *   has waited longer than the others take), not a second later when that call comes back. This is
 *   Envoy's least-request "active request bias" and Prequal's in-flight signal taken one step
 *   further: the wait itself is the signal.
 * - Load: a server that answered in 20 ms with 8 calls at once is not expected to take 8× longer
 *   for a ninth, as latency × (1 + in flight) assumes; in flight is weighed against the
 *   concurrency it was measured at.
 * - A measurement fades (UpstreamState: half its weight every second without a new one), so an
 *   endpoint passed over for being slow is probed again — one call at a time, since that call's
 *   own age charges it at once — and wins its traffic back when it has recovered. A call its
 *   client gave up on still counts: the endpoint took at least that long.
 * Every upstream is compared (a bucket has a handful), not a random two: with three clusters,
 * power-of-two-choices hands a third of the calls to the best of the two slower ones whatever the
 * fastest is doing (bench/RESULTS.md). An upstream not yet measured costs 0, so every new
 * upstream gets tried; ties are broken at random.
 */
import { pickLowest, type Policy, type PickContext } from './policy.js'
import type { Upstream } from '../snapshot.js'

const cost = (u: Upstream, ctx: PickContext): number =>
  Math.max(ctx.latency(u.id) ?? 0, ctx.waited(u.id)) *
  Math.max(1, (1 + ctx.inflight(u.id)) / (ctx.concurrency(u.id) ?? 1))

export function fastest(): Policy {
  return {
    name: 'fastest',
    pick: (upstreams, ctx) => pickLowest(upstreams, (u) => cost(u, ctx), ctx),
  }
}
