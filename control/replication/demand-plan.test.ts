import { describe, expect, it } from 'vitest'
import {
  DEMAND_DEFAULTS,
  demandThreshold,
  GIB,
  MAX_CHANGES_PER_HOUR,
  planDemand,
  type DemandPlanInput,
} from './demand-plan.js'

// Clusters: 1 iad (us) holds the master on storage 10; 2 fra (eu) with storage 20 and 21;
// 3 sin (asia) with storage 30 but no FaaS deployment; 4 gru (sa) with FaaS but no storage.
const MIN = 60_000
const base = (over: Partial<DemandPlanInput> = {}): DemandPlanInput => ({
  bucket: {
    name: 'photos',
    storage_id: 10,
    zones: [],
    total_bytes: 5 * 1024 ** 2,
    demand: { ...DEMAND_DEFAULTS },
  },
  storages: [
    { storage_id: 10, cluster_id: 1 },
    { storage_id: 20, cluster_id: 2 },
    { storage_id: 21, cluster_id: 2 },
    { storage_id: 30, cluster_id: 3 },
  ],
  clusters: [
    { cluster_id: 1, zones: ['us'] },
    { cluster_id: 2, zones: ['eu'] },
    { cluster_id: 3, zones: ['asia'] },
    { cluster_id: 4, zones: ['sa'] },
  ],
  faasClusters: new Set([1, 2, 4]),
  copies: [10],
  demandReplicas: [],
  demand: [],
  changesLastHour: 0,
  now: 100 * 60 * MIN,
  ...over,
})
/** `perMin` invocations a minute over the default 5-minute window, all or `local` of them local. */
const zone = (name: string | null, perMin: number, local = 0) => ({
  zone: name,
  invocations: perMin * 5,
  remote: (perMin - local) * 5,
})

describe('planDemand', () => {
  it('adds a replica where remote demand passes the threshold, with its reason', () => {
    const plan = planDemand(base({ demand: [zone('eu', 240), zone('us', 500, 500)] }))
    expect(plan.add).toEqual([
      {
        storage_id: 20,
        zone: 'eu',
        reason:
          'added on demand: 240 invocations/min from zone eu served elsewhere over 5 min (threshold 60/min for 5 MiB)',
      },
    ])
    expect(plan.remove).toEqual([])
    expect(plan.held).toEqual([])
  })

  const held: { name: string; over: Partial<DemandPlanInput>; demand: string; reason: RegExp }[] = [
    {
      name: 'a zone the bucket may not enter',
      over: { bucket: { ...base().bucket, zones: ['us'] } },
      demand: 'eu',
      reason: /bucket's zones \(us\) do not include eu/,
    },
    {
      name: 'a zone whose storage has no FaaS deployment beside it',
      over: {},
      demand: 'asia',
      reason: /zone asia has no storage deployment in a cluster with a FaaS deployment/,
    },
    {
      name: 'a zone with FaaS but no storage deployment',
      over: {},
      demand: 'sa',
      reason: /zone sa has no storage deployment/,
    },
    {
      name: 'a zone whose copy is on its way (syncing)',
      over: { copies: [10, 21] },
      demand: 'eu',
      reason: /a copy in zone eu is there already/,
    },
    {
      name: 'the bucket at its max_replicas',
      over: {
        bucket: { ...base().bucket, demand: { ...DEMAND_DEFAULTS, max_replicas: 0 } },
      },
      demand: 'eu',
      reason: /has its 0 replicas on demand/,
    },
    {
      name: 'the change bound reached',
      over: { changesLastHour: MAX_CHANGES_PER_HOUR },
      demand: 'eu',
      reason: /changed 4 times in the last hour/,
    },
  ]
  for (const c of held)
    it(`adds nothing for ${c.name}, and says why`, () => {
      const plan = planDemand(base({ ...c.over, demand: [zone(c.demand, 300)] }))
      expect(plan.add).toEqual([])
      expect(plan.held).toHaveLength(1)
      expect(plan.held[0]?.zone).toBe(c.demand)
      expect(plan.held[0]?.reason).toMatch(c.reason)
    })

  it('adds nothing below the threshold, for edges without a zone, or when disabled', () => {
    expect(planDemand(base({ demand: [zone('eu', 59)] })).add).toEqual([])
    expect(planDemand(base({ demand: [zone(null, 10_000)] })).add).toEqual([])
    const off = base({ demand: [zone('eu', 1000)] })
    off.bucket.demand = { ...DEMAND_DEFAULTS, enabled: false }
    expect(planDemand(off)).toMatchObject({ add: [], held: [] })
  })

  it('weighs size: a 50 GiB bucket needs 51 × the rate a tiny one needs', () => {
    expect(demandThreshold(DEMAND_DEFAULTS, 0)).toBe(60)
    expect(demandThreshold(DEMAND_DEFAULTS, 50 * GIB)).toBe(60 * 51)
    const big = base({ demand: [zone('eu', 3_000)] })
    big.bucket.total_bytes = 50 * GIB
    expect(planDemand(big).add).toEqual([])
    big.demand = [zone('eu', 3_100)]
    expect(planDemand(big).add[0]?.reason).toMatch(/threshold 3060\/min for 50\.0 GiB/)
    // A smaller size unit makes size count at MiB scale: 16 MiB in 4 MiB units needs 5 ×.
    expect(
      demandThreshold({ ...DEMAND_DEFAULTS, size_unit_bytes: 4 * 1024 ** 2 }, 16 * 1024 ** 2),
    ).toBe(300)
  })

  const replica = { storage_id: 20, zone: 'eu', added_at: 0, last_demand_at: 0 }
  it('keeps a demand-made replica while its zone has half the threshold (hysteresis), refreshing it', () => {
    // 31/min, all local now: over half the threshold (60.3/min for 5 MiB).
    const plan = planDemand(
      base({ copies: [10, 20], demandReplicas: [replica], demand: [zone('eu', 31, 31)] }),
    )
    expect(plan).toMatchObject({ add: [], remove: [], refresh: [20] })
  })

  it('removes it once its zone stayed under half the threshold for the TTL; not a moment before', () => {
    const quiet = (sinceMs: number) =>
      planDemand(
        base({
          copies: [10, 20],
          demandReplicas: [{ ...replica, last_demand_at: 100 * 60 * MIN - sinceMs }],
          demand: [zone('eu', 29, 29)],
        }),
      )
    expect(quiet(DEMAND_DEFAULTS.ttl_s * 1000 - 1)).toMatchObject({ remove: [], refresh: [] })
    expect(quiet(DEMAND_DEFAULTS.ttl_s * 1000).remove).toEqual([
      {
        storage_id: 20,
        zone: 'eu',
        reason: 'removed: demand from zone eu stayed under 30/min (half the threshold) for 30 min',
      },
    ])
  })

  it('demand that moves away and comes back within the TTL finds its replica, and adds nothing new', () => {
    const back = planDemand(
      base({
        copies: [10, 20],
        demandReplicas: [{ ...replica, last_demand_at: 100 * 60 * MIN - 20 * MIN }],
        demand: [zone('eu', 300, 300)],
      }),
    )
    expect(back).toMatchObject({ add: [], remove: [], refresh: [20] })
  })

  it('removes a demand-made replica whose zone the bucket no longer allows, whatever the bound', () => {
    const plan = planDemand(
      base({
        bucket: { ...base().bucket, zones: ['us', 'asia'] },
        copies: [10, 20],
        demandReplicas: [replica],
        demand: [zone('eu', 300, 300)],
        changesLastHour: MAX_CHANGES_PER_HOUR,
      }),
    )
    expect(plan.remove[0]?.reason).toMatch(/no longer among the bucket's zones \(us, asia\)/)
  })

  it('never flaps: the change bound holds a removal too, and counts what this plan does', () => {
    const old = { ...replica, last_demand_at: 0 }
    const held = planDemand(
      base({
        copies: [10, 20],
        demandReplicas: [old],
        changesLastHour: MAX_CHANGES_PER_HOUR,
      }),
    )
    expect(held.remove).toEqual([])
    // Three changes this hour: one removal fits, the addition after it does not.
    const one = planDemand(
      base({
        copies: [10, 20],
        demandReplicas: [old],
        demand: [zone('asia', 1), zone('sa', 500)],
        changesLastHour: MAX_CHANGES_PER_HOUR - 1,
      }),
    )
    expect(one.remove).toHaveLength(1)
    expect(one.held.find((h) => h.zone === 'sa')?.reason).toMatch(/no storage deployment/)
  })

  it('never touches the master or replicas it did not make; the busiest zone goes first', () => {
    const plan = planDemand(
      base({
        bucket: { ...base().bucket, demand: { ...DEMAND_DEFAULTS, max_replicas: 1 } },
        storages: [...base().storages, { storage_id: 40, cluster_id: 4 }],
        copies: [10, 21],
        demand: [zone('us', 1000), zone('sa', 400), zone('eu', 300)],
      }),
    )
    // us holds the master; eu a policy replica (21); sa is the busiest without one.
    expect(plan.add.map((a) => a.zone)).toEqual(['sa'])
    expect(plan.remove).toEqual([])
    expect(plan.held.map((h) => h.zone).sort()).toEqual(['eu', 'us'])
  })
})
