/** first: the first available upstream in snapshot order (a primary with fail-over). */
import type { Policy } from './policy.js'

export function first(): Policy {
  return { name: 'first', pick: (upstreams) => upstreams[0] }
}
