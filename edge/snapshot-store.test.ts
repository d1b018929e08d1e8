import { describe, expect, it } from 'vitest'
import { SnapshotStore } from './snapshot-store.js'
import { DEFAULT_EDGE_SETTINGS, type RouteSnapshot } from './snapshot.js'

const snapshot = (version: number, bucket = 'images', lineage = 'db-1'): RouteSnapshot => ({
  lineage,
  settings: DEFAULT_EDGE_SETTINGS,
  version,
  generated_at: '2026-11-27T10:00:00.000Z',
  match_header: 'X-FaDO-Bucket',
  function_header: 'X-FaDO-Function',
  default_policy: 'round_robin',
  clusters: {},
  functions: {},
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
      reason: expect.stringMatching(/older than 4 of the same lineage/),
    })
    expect(store.refused).toMatchObject({ version: 3, lineage: 'db-1' })
    expect(store.offer(snapshot(4, 'same'))).toMatchObject({ applied: false })
    expect(store.offer({ ...snapshot(9), default_policy: 'nope' })).toMatchObject({
      applied: false,
      reason: expect.stringMatching(/default_policy/),
    })
    expect(store.current?.version).toBe(4)
    expect(store.route('images')).toBeDefined()
  })

  it('takes a lower version from a new lineage (control restored or reset), refuses an older one of the same', () => {
    const store = new SnapshotStore()
    store.offer(snapshot(7, 'images', 'db-1'))
    expect(store.offer(snapshot(1, 'fresh', 'db-2'))).toEqual({ applied: true, version: 1 })
    expect(store.current).toMatchObject({ lineage: 'db-2', version: 1 })
    expect(store.route('fresh')).toBeDefined()
    expect(store.refused).toBeUndefined()
    // Back in db-2's own order.
    expect(store.offer(snapshot(2, 'next', 'db-2'))).toEqual({ applied: true, version: 2 })
    expect(store.offer(snapshot(1, 'fresh', 'db-2')).applied).toBe(false)
    // An equal version is not a refusal worth reporting.
    store.offer(snapshot(2, 'next', 'db-2'))
    expect(store.refused?.version).toBe(1)
  })

  it('a snapshot restored from disk is provisional: control’s first answer replaces it', () => {
    const store = new SnapshotStore()
    store.offer(snapshot(9, 'from-disk', 'db-1'), { provisional: true })
    expect(store.route('from-disk')).toBeDefined()
    // Control answers an older version of the same lineage (a database restored from backup):
    // taken all the same, since it is what control serves now.
    expect(store.offer(snapshot(5, 'from-control', 'db-1'))).toEqual({ applied: true, version: 5 })
    // From then on the usual rules hold.
    expect(store.offer(snapshot(4, 'older', 'db-1')).applied).toBe(false)
  })

  it('never resolves inherited object keys as routes', () => {
    const store = new SnapshotStore()
    store.offer(snapshot(1))
    expect(store.route('__proto__')).toBeUndefined()
    expect(store.route('constructor')).toBeUndefined()
  })
})
