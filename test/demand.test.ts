/**
 * Replicas on demand (issue 24), end to end: one Workers edge in workerd serves every zone (its
 * zone map sends a request arriving in Frankfurt to zone eu, Singapore to asia, São Paulo to sa)
 * and reports what it served to control; buckets mastered in iad (us) that opted in get a replica
 * where their invocations come from, and lose it when they go. What a user checks: the replica
 * with origin `demand` and its reason, the decisions and the zones held back with why, where the
 * invocations end up (X-FaDO-Cluster / X-FaDO-Locality), and /metrics.
 */
import type { Miniflare } from 'miniflare'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createToken } from './helpers/control.js'
import { waitFor } from './helpers/ports.js'
import { startPlatform, type TestPlatform } from './helpers/platform.js'
import { putBytes } from './helpers/storage.js'
import { startWorkerEdge } from './helpers/workerd.js'

let p: TestPlatform
let mf: Miniflare
const ids: Record<string, number> = {}
const COLO = { eu: 'FRA', asia: 'SIN', sa: 'GRU', us: 'IAD' } as const

/** Small numbers so a test sees a decision in seconds: 6/min over 20 s, gone 10 s after. */
const DEMAND = { min_rate_per_min: 6, window_s: 20, ttl_s: 10, max_replicas: 1 }

beforeAll(async () => {
  p = await startPlatform(
    [
      { name: 'iad', zones: ['us'] },
      { name: 'fra', zones: ['eu'] },
      { name: 'sin', zones: ['asia'] },
    ],
    { config: { storageTimeout: 2_000 } },
  )
  // A cluster in zone sa with a FaaS deployment but no storage deployment.
  const gru = (await p.fado.api('POST', '/api/clusters', { name: 'gru', zones: ['sa'] })).body
  await p.fado.api('POST', '/api/faas-deployments', {
    cluster_id: gru.cluster_id,
    url: p.clusters.iad!.fn.url,
  })
  const iad = p.clusters.iad!
  for (const [name, extra] of [
    ['photos', { demand: DEMAND }],
    ['archive', { zones: ['us'], demand: DEMAND }],
    ['plain', {}],
  ] as const) {
    const res = await p.fado.api('POST', '/api/buckets', {
      name,
      storage_id: iad.storage_id,
      ...extra,
    })
    expect(res.status).toBe(201)
    ids[name] = res.body.bucket_id
    await putBytes(iad.minio, name, 'a.bin', Buffer.from(name))
  }
  mf = await startWorkerEdge(p.fado, {
    token: await createToken(p.fado, 'edge'),
    vars: {
      FADO_ZONE_MAP: JSON.stringify({
        colo: { FRA: 'eu', SIN: 'asia', GRU: 'sa', IAD: 'us' },
      }),
    },
  })
}, 120_000)

afterAll(async () => {
  await mf?.dispose()
  await p?.close()
})

/** One invocation of `bucket` arriving at the Worker from `zone`: who answered. */
async function invoke(bucket: string, zone: keyof typeof COLO) {
  const res = await mf.dispatchFetch('http://edge.local/function/nodeinfo', {
    headers: { 'X-FaDO-Bucket': bucket },
    cf: { colo: COLO[zone] },
  } as never)
  await res.arrayBuffer()
  return {
    status: res.status,
    cluster: res.headers.get('x-fado-cluster'),
    locality: res.headers.get('x-fado-locality'),
  }
}

/** Keeps invoking from `zone` (10 a second, bounded) until `done`, as steady demand would. */
async function demandUntil(
  what: string,
  bucket: string,
  zone: keyof typeof COLO,
  done: () => Promise<boolean>,
  timeoutMs = 60_000,
) {
  await waitFor(
    what,
    async () => {
      for (let i = 0; i < 10; i++) await invoke(bucket, zone)
      return done()
    },
    timeoutMs,
  )
}

const bucket = async (name: string) => (await p.fado.api('GET', `/api/buckets/${ids[name]}`)).body

describe('replicas on demand', () => {
  it('refuses bad demand settings, naming the field; {} takes the written-down defaults', async () => {
    const bad = await p.fado.api('PUT', `/api/buckets/${ids.plain}`, {
      demand: { window_s: 5 },
    })
    expect(bad.status).toBe(400)
    expect(bad.text).toMatch(/demand\.window_s/)
    expect((await bucket('plain')).demand).toBeNull()
    const on = await p.fado.api('PUT', `/api/buckets/${ids.plain}`, { demand: {} })
    expect(on.body.demand).toEqual({
      enabled: true,
      min_rate_per_min: 60,
      window_s: 300,
      ttl_s: 1800,
      max_replicas: 2,
      size_unit_bytes: 1024 ** 3,
    })
    expect(
      (await p.fado.api('PUT', `/api/buckets/${ids.plain}`, { demand: null })).body.demand,
    ).toBeNull()
  })

  it('adds a replica in the zone invocations come from; once synced they are served there', async () => {
    // Before: everything from eu crosses to iad.
    const first = await invoke('photos', 'eu')
    expect(first).toMatchObject({ status: 200, cluster: 'iad', locality: 'remote' })
    await demandUntil('a synced replica in fra, made on demand', 'photos', 'eu', async () => {
      const b = await bucket('photos')
      return b.replicas.some(
        (r: { storage_id: number; status: string }) =>
          r.storage_id === p.clusters.fra!.storage_id && r.status === 'synced',
      )
    })
    const b = await bucket('photos')
    const replica = b.replicas.find(
      (r: { storage_id: number }) => r.storage_id === p.clusters.fra!.storage_id,
    )
    expect(replica.origin).toBe('demand')
    expect(replica.reason).toMatch(
      /^added on demand: [\d.]+ invocations\/min from zone eu served elsewhere over 20 s/,
    )
    expect(b.demand_decisions[0]).toMatchObject({ action: 'add', zone: 'eu' })
    expect(
      b.demand_by_zone.find((d: { zone: string }) => d.zone === 'eu').invocations,
    ).toBeGreaterThan(0)
    await waitFor(
      'invocations from eu served in eu',
      async () => (await invoke('photos', 'eu')).cluster === 'fra',
    )
    expect(await invoke('photos', 'eu')).toMatchObject({ cluster: 'fra', locality: 'local' })
    // Invocations from us still go to the master's cluster.
    expect((await invoke('photos', 'us')).cluster).toBe('iad')
    const metrics = await (await p.fado.fetch('/metrics')).text()
    expect(metrics).toMatch(/fado_demand_decisions_total\{bucket="photos",action="add"\} 1/)
  })

  it('holds back, and says why: at max_replicas, a zone without storage, a zone the bucket may not enter', async () => {
    await demandUntil('asia and sa held for photos', 'photos', 'asia', async () => {
      for (let i = 0; i < 5; i++) await invoke('photos', 'sa')
      const held = (await bucket('photos')).demand_held as { zone: string; reason: string }[]
      return held.some((h) => h.zone === 'asia') && held.some((h) => h.zone === 'sa')
    })
    const held = (await bucket('photos')).demand_held as { zone: string; reason: string }[]
    expect(held.find((h) => h.zone === 'asia')?.reason).toMatch(/has its 1 replicas on demand/)
    expect(held.find((h) => h.zone === 'sa')?.reason).toMatch(
      /zone sa has no storage deployment in a cluster with a FaaS deployment/,
    )
    await demandUntil('eu held for archive', 'archive', 'eu', async () =>
      ((await bucket('archive')).demand_held as { zone: string }[]).some((h) => h.zone === 'eu'),
    )
    const archive = await bucket('archive')
    expect(archive.demand_held[0].reason).toMatch(/bucket's zones \(us\) do not include eu/)
    expect(archive.replicas).toEqual([])
    // Only the one replica was made: photos still has just fra.
    expect(
      (await bucket('photos')).replicas.map((r: { storage_id: number }) => r.storage_id),
    ).toEqual([p.clusters.fra!.storage_id])
  })

  it('a replica on demand that cannot sync (its storage hung) is not routed to until it is synced', async () => {
    // asia gets its turn once photos may hold two; sin's MinIO does not answer meanwhile.
    const sin = p.clusters.sin!
    sin.minio.pause()
    try {
      await p.fado.api('PUT', `/api/buckets/${ids.photos}`, {
        demand: { ...DEMAND, max_replicas: 2 },
      })
      await demandUntil('a replica in sin, not synced', 'photos', 'asia', async () =>
        (await bucket('photos')).replicas.some(
          (r: { storage_id: number; origin: string }) =>
            r.storage_id === sin.storage_id && r.origin === 'demand',
        ),
      )
      for (let i = 0; i < 5; i++) expect((await invoke('photos', 'asia')).cluster).not.toBe('sin')
      const replica = (await bucket('photos')).replicas.find(
        (r: { storage_id: number }) => r.storage_id === sin.storage_id,
      )
      expect(replica.status).not.toBe('synced')
    } finally {
      sin.minio.resume()
    }
    await demandUntil(
      'asia served in sin once synced',
      'photos',
      'asia',
      async () => (await invoke('photos', 'asia')).cluster === 'sin',
    )
  })

  it("the master's storage lost: its replicas on demand say so and are not routed to; none is dropped; all comes back", async () => {
    const iad = p.clusters.iad!
    const fra = p.clusters.fra!.storage_id
    await iad.minio.stop()
    try {
      p.fado.running.reconciler.schedule(ids.photos!)
      // Demand goes on meanwhile: the planner must not take the outage for quiet.
      await demandUntil(
        'the replica in fra to report the master down',
        'photos',
        'eu',
        async () => {
          for (let i = 0; i < 5; i++) await invoke('photos', 'asia')
          const r = (await bucket('photos')).replicas.find(
            (x: { storage_id: number }) => x.storage_id === fra,
          )
          return r?.status === 'error' && /master unavailable/.test(r.error)
        },
      )
      // Not routed to while it cannot be verified; invocations go to the master's cluster.
      await waitFor(
        'eu routed away from fra',
        async () => (await invoke('photos', 'eu')).cluster === 'iad',
      )
      const b = await bucket('photos')
      expect(b.replicas.every((r: { origin: string }) => r.origin === 'demand')).toBe(true)
      expect(b.demand_decisions.some((d: { action: string }) => d.action === 'remove')).toBe(false)
    } finally {
      await iad.minio.start()
    }
    await demandUntil('fra synced and serving eu again', 'photos', 'eu', async () => {
      for (let i = 0; i < 5; i++) await invoke('photos', 'asia')
      return (await invoke('photos', 'eu')).cluster === 'fra'
    })
  })

  it('removes a replica on demand once its zone has been quiet for the TTL; invocations go back to the master’s cluster', async () => {
    // Nobody invokes photos from asia or eu any more: the window empties, then the TTL runs out.
    await waitFor(
      'both replicas on demand removed',
      async () => (await bucket('photos')).replicas.length === 0,
      90_000,
    )
    const b = await bucket('photos')
    expect(
      b.demand_decisions.filter((d: { action: string }) => d.action === 'remove'),
    ).toHaveLength(2)
    expect(b.demand_decisions[0].reason).toMatch(/removed: demand from zone (eu|asia) stayed under/)
    // The replicas are gone from control's records before the edge has the snapshot without
    // them: until then an invocation may still go to sin, so several in a row must all be iad.
    await waitFor('eu served by iad only', async () => {
      for (let i = 0; i < 4; i++) if ((await invoke('photos', 'eu')).cluster !== 'iad') return false
      return true
    })
    expect(await invoke('photos', 'eu')).toMatchObject({ cluster: 'iad', locality: 'remote' })
  }, 120_000)
})
