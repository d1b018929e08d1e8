import { describe, expect, it } from 'vitest'
import { merge } from './hub.js'

describe('merge (the changes one transaction reports, as one)', () => {
  it('unions buckets, keeps every object change and every flag', () => {
    expect(
      merge([
        { reconcile: [1, 2] },
        { reconcile: [2, 3], routes: true },
        { objects: [{ bucketId: 1, keys: ['a'] }] },
        { storage: true, objects: [{ bucketId: 2, keys: ['b'] }] },
      ]),
    ).toEqual({
      reconcile: [1, 2, 3],
      routes: true,
      storage: true,
      objects: [
        { bucketId: 1, keys: ['a'] },
        { bucketId: 2, keys: ['b'] },
      ],
    })
  })

  it("'all' wins over a list; nothing gives nothing", () => {
    expect(merge([{ reconcile: [1] }, { reconcile: 'all' }])).toEqual({ reconcile: 'all' })
    expect(merge([])).toEqual({})
  })

  it('keeps a replan beside the buckets to pass over', () => {
    expect(merge([{ reconcile: [4] }, { replan: true, routes: true }])).toEqual({
      reconcile: [4],
      replan: true,
      routes: true,
    })
  })
})
