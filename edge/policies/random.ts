/** random: any available upstream, uniformly. */
import { randomIndex, type Policy } from './policy.js'

export function random(): Policy {
  return { name: 'random', pick: (upstreams, ctx) => upstreams[randomIndex(upstreams.length, ctx)] }
}
