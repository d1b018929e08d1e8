/**
 * hash: rendezvous (highest random weight) hashing of a key (a header value or the client
 * address) — the same key goes to the same upstream, and when upstreams come or go only the keys
 * of those upstreams move. With a balance factor c (bounded load, as HAProxy's
 * hash-balance-factor), a key takes the first upstream in its own rendezvous order whose
 * in-flight count, this request included, stays within ceil(c × mean): a hot key spills to its
 * second choice instead of overloading its first, and an unloaded edge picks exactly as without.
 */
import type { Upstream } from '../snapshot.js'
import type { PickContext, Policy } from './policy.js'

/** FNV-1a 32-bit, then a murmur3 finaliser for a good spread. */
export function hash32(text: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

export function hash(): Policy {
  return {
    name: 'hash',
    pick(upstreams, ctx) {
      if (ctx.balanceFactor > 0 && upstreams.length > 1) return boundedPick(upstreams, ctx)
      let best = upstreams[0]
      let bestScore = -1
      for (const u of upstreams) {
        const score = hash32(`${u.id}\u0000${ctx.hashKey}`)
        if (score > bestScore) {
          best = u
          bestScore = score
        }
      }
      return best
    },
  }
}

function boundedPick(upstreams: readonly Upstream[], ctx: PickContext): Upstream | undefined {
  const order = upstreams
    .map((u) => ({ u, score: hash32(`${u.id}\u0000${ctx.hashKey}`) }))
    .sort((a, b) => b.score - a.score)
  const total = upstreams.reduce((sum, u) => sum + ctx.inflight(u.id), 0) + 1
  const limit = Math.ceil((ctx.balanceFactor * total) / upstreams.length)
  return (order.find(({ u }) => ctx.inflight(u.id) + 1 <= limit) ?? order[0])?.u
}
