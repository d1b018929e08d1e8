/** least_conn: fewest requests in flight; ties broken uniformly at random. */
import { pickLowest, type Policy } from './policy.js'

export function leastConn(): Policy {
  return {
    name: 'least_conn',
    pick: (upstreams, ctx) => pickLowest(upstreams, (u) => ctx.inflight(u.id), ctx),
  }
}
