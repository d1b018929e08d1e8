/** least_conn: fewest requests in flight; ties broken uniformly at random (reservoir sampling). */
import type { Policy } from './policy.js'

export function leastConn(): Policy {
  return {
    name: 'least_conn',
    pick(upstreams, ctx) {
      let best = upstreams[0]
      let bestLoad = Infinity
      let ties = 0
      for (const u of upstreams) {
        const load = ctx.inflight(u.id)
        if (load < bestLoad) {
          best = u
          bestLoad = load
          ties = 1
        } else if (load === bestLoad && ctx.random() * ++ties < 1) {
          best = u
        }
      }
      return best
    },
  }
}
