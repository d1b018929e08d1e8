/** round_robin: each upstream in turn. The counter belongs to the route, so routes do not interfere. */
import type { Policy } from './policy.js'

export function roundRobin(): Policy {
  let next = 0
  return {
    name: 'round_robin',
    pick(upstreams) {
      const upstream = upstreams[next % upstreams.length]
      next = (next + 1) % 1_000_000_007
      return upstream
    },
  }
}
