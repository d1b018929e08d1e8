import { describe, expect, it } from 'vitest'
import { planUntrack } from './untrack-plan.js'

const buckets = [
  // mastered on 1, replicas on 2 and 3
  { bucket_id: 10, name: 'a', storage_id: 1, replicas: [{ storage_id: 2 }, { storage_id: 3 }] },
  // mastered on 2, replica on 1
  { bucket_id: 11, name: 'b', storage_id: 2, replicas: [{ storage_id: 1 }] },
  // unrelated
  { bucket_id: 12, name: 'c', storage_id: 3, replicas: [{ storage_id: 2 }] },
]

describe('planUntrack', () => {
  it('removes FaDO’s replicas on the deployment and of buckets mastered there, keeps master data', () => {
    expect(planUntrack(buckets, 1, false)).toEqual({
      removals: [
        { storage_id: 2, bucket: 'a' },
        { storage_id: 3, bucket: 'a' },
        { storage_id: 1, bucket: 'b' },
      ],
      affected: [11],
    })
  })

  it('also removes master data when asked', () => {
    expect(planUntrack(buckets, 1, true).removals).toContainEqual({ storage_id: 1, bucket: 'a' })
  })

  it('touches nothing for a deployment that holds nothing', () => {
    expect(planUntrack(buckets, 9, true)).toEqual({ removals: [], affected: [] })
  })
})
