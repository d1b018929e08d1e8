import { describe, expect, it } from 'vitest'
import { first } from './policies/first.js'
import type { PickContext } from './policies/policy.js'
import { isLocal, preferLocal, SPILL_FACTOR, SPILL_SLACK, type Locality } from './locality.js'
import { nextUpstream } from './routing.js'
import type { Route, Upstream } from './snapshot.js'
import { UpstreamState } from './upstream-state.js'

// Clusters: fra and ber in zone eu, iad in zone us, lab in none.
const where = (zone: string | undefined): Locality => ({
  zone,
  clusterZones: new Map([
    ['fra', new Set(['eu', 'gpu'])],
    ['ber', new Set(['eu'])],
    ['iad', new Set(['us'])],
    ['lab', new Set<string>()],
  ]),
})
const up = (id: number, cluster: string): Upstream => ({ id, url: `http://${cluster}`, cluster })
const iad = up(1, 'iad')
const fra = up(2, 'fra')
const ber = up(3, 'ber')
const lab = up(4, 'lab')
const ids = (list: readonly Upstream[]) => list.map((u) => u.id)
const load = (byId: Record<number, number>) => (id: number) => byId[id] ?? 0

describe('preferLocal', () => {
  const cases: {
    name: string
    available: Upstream[]
    zone: string | undefined
    mode?: 'prefer' | 'off'
    inflight?: Record<number, number>
    expected: number[]
  }[] = [
    {
      name: 'the local ones, when any is there',
      available: [iad, fra, ber],
      zone: 'eu',
      expected: [2, 3],
    },
    {
      name: 'a zone is matched against every zone of a cluster',
      available: [iad, fra],
      zone: 'gpu',
      expected: [2],
    },
    {
      name: 'everything, when nothing is local',
      available: [iad, lab],
      zone: 'eu',
      expected: [1, 4],
    },
    {
      name: 'everything, when everything is local',
      available: [fra, ber],
      zone: 'eu',
      expected: [2, 3],
    },
    {
      name: 'everything, when the edge has no zone',
      available: [iad, fra],
      zone: undefined,
      expected: [1, 2],
    },
    {
      name: "everything, with locality 'off'",
      available: [iad, fra],
      zone: 'eu',
      mode: 'off',
      expected: [1, 2],
    },
    {
      name: 'a local one up to the spill limit stays',
      available: [iad, fra],
      zone: 'eu',
      inflight: { 1: 3, 2: SPILL_FACTOR * 3 + SPILL_SLACK },
      expected: [2],
    },
    {
      name: 'a local one past the spill limit is left out; the other local one takes it',
      available: [iad, fra, ber],
      zone: 'eu',
      inflight: { 1: 3, 2: SPILL_FACTOR * 3 + SPILL_SLACK + 1, 3: 0 },
      expected: [3],
    },
    {
      name: 'every local one overloaded: the spill goes to all, the policy weighs them',
      available: [iad, fra, ber],
      zone: 'eu',
      inflight: { 1: 0, 2: SPILL_SLACK + 1, 3: SPILL_SLACK + 1 },
      expected: [1, 2, 3],
    },
    {
      name: 'a few requests in flight never spill (the slack) while remotes are idle',
      available: [iad, fra],
      zone: 'eu',
      inflight: { 1: 0, 2: SPILL_SLACK },
      expected: [2],
    },
    {
      name: 'the limit follows the least-loaded remote',
      available: [iad, lab, fra],
      zone: 'eu',
      inflight: { 1: 50, 4: 10, 2: 24 },
      expected: [2],
    },
  ]
  for (const c of cases)
    it(c.name, () => {
      const chosen = preferLocal(
        c.available,
        c.mode ?? 'prefer',
        where(c.zone),
        load(c.inflight ?? {}),
      )
      expect(ids(chosen)).toEqual(c.expected)
    })

  it('isLocal: in a cluster with the edge zone; nothing is local to an edge without one', () => {
    expect(isLocal(fra, where('eu'))).toBe(true)
    expect(isLocal(iad, where('eu'))).toBe(false)
    expect(isLocal(up(9, 'unknown-cluster'), where('eu'))).toBe(false)
    expect(isLocal(fra, where(undefined))).toBe(false)
  })
})

describe('nextUpstream with locality', () => {
  const route: Route = { policy: 'first', upstreams: [iad, fra, ber] }
  const ctx = (state: UpstreamState): PickContext => state.pickContext(() => 0, '')
  const prefer = (state: UpstreamState) => (available: readonly Upstream[]) =>
    preferLocal(available, 'prefer', where('eu'), state.inflight)

  it('tries the local upstreams first, then the remote one: a retry stays in the zone while it can', () => {
    const state = new UpstreamState({ now: () => 0 })
    const order: number[] = []
    const tried = new Set<number>()
    for (;;) {
      const next = nextUpstream(route, first(), tried, state, ctx(state), prefer(state))
      if (!next) break
      order.push(next.id)
      tried.add(next.id)
    }
    expect(order).toEqual([2, 3, 1])
  })

  it('an ejected local upstream is not preferred: the other local one, then remote', () => {
    const state = new UpstreamState({ now: () => 0 })
    state.end(2, false, 1)
    expect(nextUpstream(route, first(), new Set(), state, ctx(state), prefer(state))?.id).toBe(3)
    state.end(3, false, 1)
    expect(nextUpstream(route, first(), new Set(), state, ctx(state), prefer(state))?.id).toBe(1)
  })
})
