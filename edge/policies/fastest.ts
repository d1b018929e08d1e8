/**
 * fastest: power of two choices. Draw two distinct upstreams at random and keep the one with the
 * lower cost = latency EWMA × (1 + in flight). An upstream not yet measured costs 0, so every new
 * upstream gets tried.
 */
import type { Policy, PickContext } from './policy.js'
import type { Upstream } from '../snapshot.js'

const cost = (u: Upstream, ctx: PickContext): number =>
  (ctx.latency(u.id) ?? 0) * (1 + ctx.inflight(u.id))

export function fastest(): Policy {
  return {
    name: 'fastest',
    pick(upstreams, ctx) {
      if (upstreams.length === 1) return upstreams[0]
      const i = Math.min(upstreams.length - 1, Math.floor(ctx.random() * upstreams.length))
      let j = Math.min(upstreams.length - 2, Math.floor(ctx.random() * (upstreams.length - 1)))
      if (j >= i) j++
      const a = upstreams[i] as Upstream
      const b = upstreams[j] as Upstream
      return cost(b, ctx) < cost(a, ctx) ? b : a
    },
  }
}
