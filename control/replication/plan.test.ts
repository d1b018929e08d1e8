import { describe, expect, it } from 'vitest'
import { planReplicas, type PlanInput } from './plan.js'

// Thesis §7.2: hpc and cc1 are in germany + high-performance, cc2 only in germany.
const clusters = [
  { cluster_id: 1, zones: ['germany', 'high-performance'] }, // hpc
  { cluster_id: 2, zones: ['germany', 'high-performance'] }, // cc1
  { cluster_id: 3, zones: ['germany'] }, // cc2
  { cluster_id: 4, zones: ['usa'] },
]
const storages = [
  { storage_id: 10, cluster_id: 1 },
  { storage_id: 20, cluster_id: 2 },
  { storage_id: 21, cluster_id: 2 },
  { storage_id: 30, cluster_id: 3 },
  { storage_id: 40, cluster_id: 4 },
]

type Bucket = Partial<PlanInput['bucket']>
const plan = (bucket: Bucket, current: number[] = [], extra: Partial<PlanInput> = {}) =>
  planReplicas({
    bucket: {
      name: 'rep-policy-demo',
      storage_id: 10,
      zones: [],
      target_replica_count: 0,
      replica_locations: null,
      ...bucket,
    },
    storages,
    clusters,
    current,
    ...extra,
  })

describe('planReplicas', () => {
  const cases: { name: string; bucket: Bucket; current?: number[]; desired: number[] }[] = [
    {
      name: 'target 0 keeps the bucket on its master only',
      bucket: { zones: ['germany'], target_replica_count: 0 },
      desired: [],
    },
    {
      name: 'target 2 in germany fills one deployment in each other german cluster',
      bucket: { zones: ['germany'], target_replica_count: 2 },
      desired: [expect.any(Number) as unknown as number, 30],
    },
    {
      name: 'zones restrict candidates',
      bucket: { zones: ['usa'], target_replica_count: 5 },
      desired: [40],
    },
    {
      name: 'no zones = anywhere',
      bucket: { zones: [], target_replica_count: 10 },
      desired: [20, 21, 30, 40],
    },
    {
      name: 'a target above the candidates takes them all',
      bucket: { zones: ['high-performance'], target_replica_count: 9 },
      desired: [20, 21],
    },
    {
      name: 'the master is never a replica',
      bucket: { storage_id: 20, zones: ['high-performance'], target_replica_count: 9 },
      desired: [10, 21],
    },
    {
      name: 'current replicas are kept before new ones are added',
      bucket: { target_replica_count: 2 },
      current: [21, 40],
      desired: [21, 40],
    },
    {
      name: 'a current replica outside the zones goes',
      bucket: { zones: ['germany'], target_replica_count: 2 },
      current: [40, 30],
      desired: [expect.any(Number) as unknown as number, 30],
    },
    {
      name: 'lowering the target drops extra replicas, keeping the lowest ids',
      bucket: { target_replica_count: 1 },
      current: [40, 30, 20],
      desired: [20],
    },
    {
      name: 'manual locations override zones and target',
      bucket: { zones: ['usa'], target_replica_count: 0, replica_locations: [30, 21] },
      desired: [21, 30],
    },
    {
      name: 'manual locations skip the master and unknown deployments',
      bucket: { replica_locations: [10, 99, 20] },
      desired: [20],
    },
    {
      name: 'an empty manual list means no replicas',
      bucket: { target_replica_count: 3, replica_locations: [] },
      current: [20],
      desired: [],
    },
  ]
  it.each(cases)('$name', ({ bucket, current, desired }) => {
    expect(plan(bucket, current).desired).toEqual(desired)
  })

  it('spreads over clusters before doubling up in one', () => {
    const { desired } = plan({ zones: ['germany'], target_replica_count: 2 })
    expect(desired).toContain(30)
    expect(desired.filter((id) => id === 20 || id === 21)).toHaveLength(1)
  })

  it('follows the thesis scenario: germany target 2, then high-performance only', () => {
    const step1 = plan({ zones: ['germany'], target_replica_count: 2 })
    expect(step1.add).toHaveLength(2)
    const step2 = plan({ zones: ['high-performance'], target_replica_count: 2 }, step1.desired)
    expect(step2.remove).toEqual([30]) // cc2 leaves
    expect(step2.desired).not.toContain(30)
    expect(step2.desired.every((id) => id === 20 || id === 21)).toBe(true)
  })

  it('is stable: planning again from the result changes nothing', () => {
    for (const bucket of [
      { target_replica_count: 3 },
      { zones: ['germany'], target_replica_count: 1 },
    ]) {
      const first = plan(bucket)
      const again = plan(bucket, first.desired)
      expect(again).toEqual({ desired: first.desired, add: [], remove: [] })
    }
  })

  it('is deterministic per bucket, and spreads different buckets', () => {
    const pick = (name: string) =>
      plan({ name, target_replica_count: 1, zones: ['high-performance'], storage_id: 10 })
        .desired[0]
    expect(pick('a')).toBe(pick('a'))
    const picks = new Set(Array.from({ length: 20 }, (_, i) => pick(`bucket-${i}`)))
    expect(picks).toEqual(new Set([20, 21]))
  })

  it('reports additions and removals against the current set', () => {
    expect(plan({ target_replica_count: 1 }, [30, 40])).toEqual({
      desired: [30],
      add: [],
      remove: [40],
    })
    expect(plan({ replica_locations: [20] }, [30])).toEqual({
      desired: [20],
      add: [20],
      remove: [30],
    })
  })

  it("wants replicas made on demand besides the policy's, without counting them towards its target", () => {
    // Target 1 in germany: 20 is the policy's (kept); 40 (usa) was made on demand.
    const p = plan({ zones: ['germany'], target_replica_count: 1 }, [20, 40], { demand: [40] })
    expect(p).toEqual({ desired: [20, 40], add: [], remove: [] })
    // A demand-made replica in an allowed zone does not stand in for the policy's own.
    const q = plan({ zones: ['germany'], target_replica_count: 1 }, [30], { demand: [30] })
    expect(q.desired).toHaveLength(2)
    expect(q.desired).toContain(30)
    // Gone from demand: removed, the policy's stays.
    expect(plan({ zones: ['germany'], target_replica_count: 1 }, [20, 40]).remove).toEqual([40])
    // Never the master.
    expect(plan({}, [], { demand: [10] }).desired).toEqual([])
  })
})
