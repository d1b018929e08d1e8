/**
 * One suite every policy must pass (hono's common.case.test pattern), then each policy's exact
 * pick sequence with injected randomness and load figures.
 */
import { describe, expect, it } from 'vitest'
import type { Upstream } from '../snapshot.js'
import type { PickContext } from './policy.js'
import { POLICIES } from './registry.js'

const ups: Upstream[] = [
  { id: 1, url: 'http://a', cluster: 'a' },
  { id: 2, url: 'http://b', cluster: 'b' },
  { id: 3, url: 'http://c', cluster: 'c' },
]
const [A, B, C] = ups as [Upstream, Upstream, Upstream]

function ctx(
  opts: {
    randoms?: number[]
    inflight?: Record<number, number>
    latency?: Record<number, number>
    concurrency?: Record<number, number>
    waited?: Record<number, number>
    hashKey?: string
    balanceFactor?: number
  } = {},
): PickContext {
  const randoms = [...(opts.randoms ?? [])]
  return {
    random: () => (randoms.length ? (randoms.shift() as number) : 0.5),
    inflight: (id) => opts.inflight?.[id] ?? 0,
    latency: (id) => opts.latency?.[id],
    concurrency: (id) => opts.concurrency?.[id],
    waited: (id) => opts.waited?.[id] ?? 0,
    hashKey: opts.hashKey ?? 'client-1',
    balanceFactor: opts.balanceFactor ?? 0,
  }
}

describe.each(Object.entries(POLICIES))('policy %s (shared cases)', (name, make) => {
  it('is named after its registry key', () => expect(make().name).toBe(name))

  it('with one upstream, picks it', () => {
    expect(make().pick([B], ctx())).toBe(B)
  })

  it('only ever picks one of the upstreams it is given', () => {
    const policy = make()
    const subset = [A, C]
    for (let i = 0; i < 50; i++) {
      const c = ctx({
        randoms: [i / 50, ((i * 7) % 50) / 50],
        inflight: { 1: i % 3, 3: (i + 1) % 3 },
        latency: { 1: 10, 3: 5 },
        hashKey: `k${i}`,
      })
      expect(subset).toContain(policy.pick(subset, c))
    }
  })

  it('does not depend on anything but its inputs: same inputs, same picks', () => {
    const run = () => {
      const policy = make()
      return Array.from(
        { length: 12 },
        (_, i) =>
          policy.pick(
            ups,
            ctx({ randoms: [((i * 3) % 10) / 10, ((i * 5) % 10) / 10], hashKey: `k${i}` }),
          )?.id,
      )
    }
    expect(run()).toEqual(run())
  })
})

describe('exact pick sequences', () => {
  it('round_robin cycles in order, per instance', () => {
    const p = POLICIES.round_robin()
    expect(Array.from({ length: 7 }, () => p.pick(ups, ctx())?.id)).toEqual([1, 2, 3, 1, 2, 3, 1])
    expect(POLICIES.round_robin().pick(ups, ctx())?.id).toBe(1)
  })

  it('round_robin keeps cycling when the available set shrinks', () => {
    const p = POLICIES.round_robin()
    expect(
      [p.pick(ups, ctx()), p.pick([A, C], ctx()), p.pick([A, C], ctx())].map((u) => u?.id),
    ).toEqual([1, 3, 1])
  })

  it('first always takes the first available', () => {
    const p = POLICIES.first()
    expect([p.pick(ups, ctx()), p.pick([B, C], ctx())].map((u) => u?.id)).toEqual([1, 2])
  })

  it('random maps [0,1) uniformly onto the upstreams', () => {
    const p = POLICIES.random()
    const c = ctx({ randoms: [0, 0.34, 0.67, 0.9999] })
    expect(Array.from({ length: 4 }, () => p.pick(ups, c)?.id)).toEqual([1, 2, 3, 3])
  })

  it('least_conn takes the fewest in flight, breaking ties at random', () => {
    const p = POLICIES.least_conn()
    expect(p.pick(ups, ctx({ inflight: { 1: 4, 2: 1, 3: 2 } }))?.id).toBe(2)
    // 1 and 3 tie at 0: reservoir sampling keeps 3 when random() * 2 < 1.
    expect(p.pick(ups, ctx({ inflight: { 2: 5 }, randoms: [0.4] }))?.id).toBe(3)
    expect(p.pick(ups, ctx({ inflight: { 2: 5 }, randoms: [0.6] }))?.id).toBe(1)
  })

  it('hash sends a key to the same upstream, and only moves keys of a removed upstream', () => {
    const p = POLICIES.hash()
    const keys = Array.from({ length: 300 }, (_, i) => `client-${i}`)
    const before = new Map(keys.map((k) => [k, p.pick(ups, ctx({ hashKey: k }))?.id]))
    for (const k of keys) expect(p.pick(ups, ctx({ hashKey: k }))?.id).toBe(before.get(k))
    const counts = [1, 2, 3].map((id) => [...before.values()].filter((v) => v === id).length)
    for (const n of counts) expect(n).toBeGreaterThan(60) // roughly even: 100 each
    const without2 = [A, C]
    for (const k of keys) {
      const after = p.pick(without2, ctx({ hashKey: k }))?.id
      if (before.get(k) !== 2) expect(after).toBe(before.get(k))
    }
  })

  it('fastest picks the lowest latency × (1 + in flight), trying unmeasured upstreams first', () => {
    const p = POLICIES.fastest()
    const load = { latency: { 1: 10, 2: 50, 3: 20 }, inflight: { 1: 3, 2: 0, 3: 0 } } // costs 40, 50, 20
    expect(p.pick(ups, ctx({ ...load, randoms: [0, 0] }))?.id).toBe(3)
    expect(p.pick(ups, ctx({ ...load, randoms: [0.99, 0.99] }))?.id).toBe(3)
    // Unmeasured upstreams cost 0, so they are tried; the tie between B and C goes by random.
    expect(p.pick(ups, ctx({ latency: { 1: 10 }, randoms: [0] }))?.id).toBe(3)
    expect(p.pick(ups, ctx({ latency: { 1: 10 }, randoms: [0.99] }))?.id).toBe(2)
  })

  it('fastest scales latency by in flight relative to the concurrency it was measured at', () => {
    const p = POLICIES.fastest()
    // A answered in 20 ms with 8 calls at once; with 7 in flight a new call should still take
    // ~20 ms (cost 20), so A beats B (150 ms, idle). Counting calls as serial would give A 160.
    const parallel = { latency: { 1: 20, 2: 150, 3: 1000 }, concurrency: { 1: 8, 2: 1, 3: 1 } }
    expect(p.pick(ups, ctx({ ...parallel, inflight: { 1: 7 } }))?.id).toBe(1)
    // Far beyond what A was measured at (31 in flight, 4× its usual load): cost 80 vs B's 150 → A;
    // at 63 in flight (cost 160) B is expected to answer sooner.
    expect(p.pick(ups, ctx({ ...parallel, inflight: { 1: 31 } }))?.id).toBe(1)
    expect(p.pick(ups, ctx({ ...parallel, inflight: { 1: 63 } }))?.id).toBe(2)
  })

  it('fastest charges a call in flight its age when that is more than the latency', () => {
    const p = POLICIES.fastest()
    const load = { latency: { 1: 20, 2: 50, 3: 1000 } }
    expect(p.pick(ups, ctx({ ...load }))?.id).toBe(1)
    // A's one call has waited 120 ms: max(20, 120) × 2 = 240 > B's 50.
    expect(p.pick(ups, ctx({ ...load, inflight: { 1: 1 }, waited: { 1: 120 } }))?.id).toBe(2)
  })
})

describe('hash with bounded load (hash-balance-factor)', () => {
  const p = POLICIES.hash()
  const keys = Array.from({ length: 200 }, (_, i) => `key-${i}`)

  it('picks exactly as plain hash while no upstream is over the bound', () => {
    for (const k of keys)
      expect(p.pick(ups, ctx({ hashKey: k, balanceFactor: 1.25 }))?.id).toBe(
        p.pick(ups, ctx({ hashKey: k }))?.id,
      )
  })

  it('a key whose upstream is over the factor × mean load moves to its next choice, and only then', () => {
    const k = keys[0] as string
    const home = p.pick(ups, ctx({ hashKey: k }))?.id as number
    // 9 in flight on its upstream, 1 on each other: mean (11 + 1) / 3 = 4, bound ceil(1.25 × 4) = 5.
    const loaded = {
      [home]: 9,
      ...Object.fromEntries(ups.filter((u) => u.id !== home).map((u) => [u.id, 1])),
    }
    const moved = p.pick(ups, ctx({ hashKey: k, balanceFactor: 1.25, inflight: loaded }))?.id
    expect(moved).not.toBe(home)
    // The same key, same load: the same second choice every time (its own rendezvous order).
    expect(p.pick(ups, ctx({ hashKey: k, balanceFactor: 1.25, inflight: loaded }))?.id).toBe(moved)
    // Without the factor it stays home whatever the load.
    expect(p.pick(ups, ctx({ hashKey: k, inflight: loaded }))?.id).toBe(home)
  })

  it('keeps rendezvous stability: removing an upstream moves only its own keys', () => {
    const without2 = ups.filter((u) => u.id !== 2)
    for (const k of keys) {
      const before = p.pick(ups, ctx({ hashKey: k, balanceFactor: 1.25 }))?.id
      const after = p.pick(without2, ctx({ hashKey: k, balanceFactor: 1.25 }))?.id
      if (before !== 2) expect(after, k).toBe(before)
    }
  })
})
