import { describe, expect, it } from 'vitest'
import { SnapshotStore } from './snapshot-store.js'
import type { RouteSnapshot } from './snapshot.js'

const snapshot = (version: number, bucket = 'images'): RouteSnapshot => ({
  version,
  generated_at: '2026-11-27T10:00:00.000Z',
  match_header: 'X-FaDO-Bucket',
  default_policy: 'round_robin',
  routes: {
    [bucket]: { policy: 'round_robin', upstreams: [{ id: 1, url: 'http://a', cluster: 'a' }] },
  },
})

describe('SnapshotStore', () => {
  it('applies a newer valid snapshot and tells its listener', () => {
    const applied: number[] = []
    const store = new SnapshotStore((s) => applied.push(s.version))
    expect(store.offer(snapshot(1))).toEqual({ applied: true, version: 1 })
    expect(store.offer(snapshot(5, 'docs'))).toEqual({ applied: true, version: 5 })
    expect(applied).toEqual([1, 5])
    expect(store.route('docs')).toBeDefined()
    expect(store.route('images')).toBeUndefined()
  })

  it('keeps the last good snapshot when offered an older, equal or invalid one', () => {
    const store = new SnapshotStore()
    store.offer(snapshot(4))
    expect(store.offer(snapshot(3, 'old'))).toMatchObject({
      applied: false,
      version: 4,
      reason: expect.stringMatching(/not newer/),
    })
    expect(store.offer(snapshot(4, 'same'))).toMatchObject({ applied: false })
    expect(store.offer({ ...snapshot(9), default_policy: 'nope' })).toMatchObject({
      applied: false,
      reason: expect.stringMatching(/default_policy/),
    })
    expect(store.current?.version).toBe(4)
    expect(store.route('images')).toBeDefined()
  })

  it('never resolves inherited object keys as routes', () => {
    const store = new SnapshotStore()
    store.offer(snapshot(1))
    expect(store.route('__proto__')).toBeUndefined()
    expect(store.route('constructor')).toBeUndefined()
  })
})
