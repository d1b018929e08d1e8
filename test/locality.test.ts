/**
 * Edges that know their zone (issue 24): a bucket held in two zones — `fra` (eu) and `iad` (us,
 * behind a real WAN relay of 20 ms) — is invoked through the in-process edge of a control started
 * with `--edge-zone eu`, a separate `fado edge --zone us`, and the Workers build in workerd whose
 * zone comes from FADO_EDGE_ZONE or, per request, from its zone map. What a user checks: which
 * cluster answered (X-FaDO-Cluster / X-FaDO-Locality), the settings that turn locality off, the
 * spill to the remote zone when the local one is overloaded or gone, the zone in each edge's
 * status and metrics, and the demand per zone in GET /api/buckets/{id}.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Miniflare } from 'miniflare'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startWanRelay, type RunningRelay } from '../platform/wan-relay.js'
import { createToken, waitForEdgeToServe, waitForRoute } from './helpers/control.js'
import { startFado, type RunningFado } from './helpers/fado-process.js'
import { freePort, waitFor } from './helpers/ports.js'
import { startPlatform, waitSynced, type TestPlatform } from './helpers/platform.js'
import { putBytes } from './helpers/storage.js'
import { startWorkerEdge } from './helpers/workerd.js'

let p: TestPlatform
let relay: RunningRelay
let bucketId: number

beforeAll(async () => {
  p = await startPlatform(
    [
      { name: 'fra', zones: ['eu'] },
      { name: 'iad', zones: ['us'] },
    ],
    { config: { edgeZone: 'eu' } },
  )
  const { fra, iad } = p.clusters as Record<
    'fra' | 'iad',
    NonNullable<TestPlatform['clusters'][string]>
  >
  // iad's function server is reached over a WAN link, as from an edge in Europe.
  relay = await startWanRelay({
    rttMs: 20,
    mbit: 100,
    target: { host: '127.0.0.1', port: iad.fn.port },
  })
  expect(
    (
      await p.fado.api('PUT', `/api/faas-deployments/${iad.faas_id}`, {
        url: `http://${relay.endpoint}`,
      })
    ).status,
  ).toBe(200)
  expect(
    (await p.fado.api('PUT', '/api/load-balancer/settings', { default_policy: 'round_robin' }))
      .status,
  ).toBe(200)
  const bucket = await p.fado.api('POST', '/api/buckets', {
    name: 'photos',
    storage_id: iad.storage_id,
    replica_locations: [fra.storage_id],
  })
  bucketId = bucket.body.bucket_id
  await putBytes(iad.minio, 'photos', 'a.bin', Buffer.from('x'))
  await waitSynced(p.fado, bucketId, [fra.storage_id])
  await waitForRoute(p.fado, 'photos', ['fra', 'iad'])
}, 120_000)

afterAll(async () => {
  await relay?.close()
  await p?.close()
})

/** N invocations in a row through `url`: which cluster answered each, and its locality header. */
async function invoke(
  url: string,
  n: number,
  send: (url: string, init: RequestInit) => Promise<Response> = fetch,
): Promise<{ cluster: string | null; locality: string | null }[]> {
  const out = []
  for (let i = 0; i < n; i++) {
    const res = await send(`${url}/function/nodeinfo`, { headers: { 'X-FaDO-Bucket': 'photos' } })
    expect(res.status).toBe(200)
    await res.arrayBuffer()
    out.push({
      cluster: res.headers.get('x-fado-cluster'),
      locality: res.headers.get('x-fado-locality'),
    })
  }
  return out
}
const clusters = (answers: { cluster: string | null }[]) =>
  [...new Set(answers.map((a) => a.cluster))].sort()

const publishAndServe = async () => {
  await p.fado.running.publisher.publishNow()
  await waitForEdgeToServe(p.fado)
}

describe('an edge in zone eu (standalone --edge-zone eu)', () => {
  it('sends every invocation to the cluster in its zone, and says so (X-FaDO-Locality: local)', async () => {
    const answers = await invoke(p.edgeUrl, 20)
    expect(answers.every((a) => a.cluster === 'fra' && a.locality === 'local')).toBe(true)
    // The admin page's load-balancer view shows the in-process edge's zone.
    expect((await p.fado.api('GET', '/api/load-balancer')).body.edge.zone).toBe('eu')
    expect((await p.fado.api('GET', '/api/load-balancer/settings')).body.locality).toBe('prefer')
  })

  it("with locality 'off' round robin uses both zones again; the remote answers say remote", async () => {
    await p.fado.api('PUT', '/api/load-balancer/settings', { locality: 'off' })
    await publishAndServe()
    const answers = await invoke(p.edgeUrl, 10)
    expect(clusters(answers)).toEqual(['fra', 'iad'])
    for (const a of answers) expect(a.locality).toBe(a.cluster === 'fra' ? 'local' : 'remote')
    await p.fado.api('PUT', '/api/load-balancer/settings', { locality: 'prefer' })
    await publishAndServe()
  })

  it("a bucket's route override wins over the setting, both ways", async () => {
    await p.fado.api('PUT', '/api/load-balancer/route-overrides', { photos: { locality: 'off' } })
    await publishAndServe()
    expect(clusters(await invoke(p.edgeUrl, 10))).toEqual(['fra', 'iad'])
    expect(p.fado.running.publisher.current?.routes.photos?.locality).toBe('off')
    await p.fado.api('PUT', '/api/load-balancer/settings', { locality: 'off' })
    await p.fado.api('PUT', '/api/load-balancer/route-overrides', {
      photos: { locality: 'prefer' },
    })
    await publishAndServe()
    expect(clusters(await invoke(p.edgeUrl, 10))).toEqual(['fra'])
    await p.fado.api('PUT', '/api/load-balancer/route-overrides', {})
    await p.fado.api('PUT', '/api/load-balancer/settings', { locality: 'prefer' })
    await publishAndServe()
  })

  it('refuses a bad locality, naming the field, and changes nothing', async () => {
    const bad = await p.fado.api('PUT', '/api/load-balancer/settings', { locality: 'nearest' })
    expect(bad.status).toBe(400)
    expect(bad.text).toMatch(/locality/)
    const badOverride = await p.fado.api('PUT', '/api/load-balancer/route-overrides', {
      photos: { locality: 'near' },
    })
    expect(badOverride.status).toBe(400)
    expect(badOverride.text).toMatch(/photos\.locality/)
    expect((await p.fado.api('GET', '/api/load-balancer/settings')).body.locality).toBe('prefer')
  })

  it('spills to the remote zone while the local cluster is overloaded (in flight past the limit)', async () => {
    const fra = p.clusters.fra!
    fra.fn.setDelay(1_500)
    try {
      const answers = await Promise.all(
        Array.from({ length: 12 }, async () => {
          const res = await fetch(`${p.edgeUrl}/function/nodeinfo`, {
            headers: { 'X-FaDO-Bucket': 'photos' },
          })
          await res.arrayBuffer()
          return res.headers.get('x-fado-cluster')
        }),
      )
      // The first ones queue locally (up to the slack of 4 in flight); later ones spill.
      expect(answers.filter((c) => c === 'fra').length).toBeGreaterThanOrEqual(5)
      expect(answers).toContain('iad')
    } finally {
      fra.fn.setDelay(undefined)
    }
    // Once the queue is gone, everything is local again.
    expect(clusters(await invoke(p.edgeUrl, 5))).toEqual(['fra'])
  })

  it("counts demand per zone: GET /api/buckets/{id} shows the eu edge's invocations and the remote ones", async () => {
    await waitFor('demand from zone eu', async () => {
      const b = (await p.fado.api('GET', `/api/buckets/${bucketId}`)).body
      const eu = b.demand_by_zone.find((d: { zone: string }) => d.zone === 'eu')
      return eu !== undefined && eu.invocations >= 50 && eu.remote >= 5 && eu.bytes > 0
    })
    const listed = (await p.fado.api('GET', '/api/resources')).body.buckets.find(
      (b: { name: string }) => b.name === 'photos',
    )
    expect(listed.demand_by_zone[0].zone).toBe('eu')
    // Read-only: the item as GET gives it is accepted back.
    const item = (await p.fado.api('GET', `/api/buckets/${bucketId}`)).body
    expect((await p.fado.api('PUT', `/api/buckets/${bucketId}`, item)).status).toBe(200)
  })
})

describe('an edge in zone us (fado edge --zone us), with metrics', () => {
  let edge: RunningFado
  let edgeUrl: string
  let metricsUrl: string

  beforeAll(async () => {
    const [port, metricsPort] = [await freePort(), await freePort()]
    edgeUrl = `http://127.0.0.1:${port}`
    metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`
    edge = startFado(
      [
        'edge',
        '--edge-port',
        String(port),
        '--zone',
        'us',
        '--control-url',
        p.fado.running.apiUrl,
        '--data-dir',
        fs.mkdtempSync(path.join(os.tmpdir(), 'fado-edge-zone-')),
        '--workers',
        '1',
        '--metrics-port',
        String(metricsPort),
      ],
      { env: { FADO_CONTROL_TOKEN: await createToken(p.fado, 'edge') } },
    )
    await edge.waitForOutput(/zone +us/)
    await waitFor('the us edge routes photos', async () => {
      const r = await fetch(`${edgeUrl}/function/nodeinfo`, {
        headers: { 'X-FaDO-Bucket': 'photos' },
      })
      await r.arrayBuffer()
      return r.status === 200
    })
  }, 60_000)
  afterAll(async () => {
    await edge?.stop()
  })

  it('prefers iad, shows its zone in its status and metrics, and reports demand as zone us', async () => {
    const answers = await invoke(edgeUrl, 10)
    expect(answers.every((a) => a.cluster === 'iad' && a.locality === 'local')).toBe(true)
    const brief = (await (await fetch(`${edgeUrl}/_fado/status`)).json()) as Record<string, unknown>
    expect(brief.serving).toBe(true)
    const metrics = await (await fetch(metricsUrl)).text()
    expect(metrics).toMatch(/fado_edge_info\{zone="us"\} 1/)
    expect(metrics).toMatch(/fado_edge_response_bytes_total\{bucket="photos"\} [1-9]/)
    await waitFor(
      'demand from zone us at control',
      async () => {
        const b = (await p.fado.api('GET', `/api/buckets/${bucketId}`)).body
        const us = b.demand_by_zone.find((d: { zone: string }) => d.zone === 'us')
        return us !== undefined && us.invocations >= 10 && us.remote === 0
      },
      20_000,
    )
    // The Traffic page lists every edge that reported, with its zone.
    const edges = (await p.fado.api('GET', '/api/traffic')).body.edges as {
      token_id: number | null
      zone: string | null
    }[]
    expect(edges).toContainEqual(expect.objectContaining({ token_id: null, zone: 'eu' }))
    expect(edges.some((e) => e.token_id !== null && e.zone === 'us')).toBe(true)
  })

  it('falls over to the other zone when its own cluster is unreachable, and counts that as remote', async () => {
    // iad's function server is behind the relay: take the relay away and the us edge must go to fra.
    await relay.close()
    const answers = await invoke(edgeUrl, 4)
    expect(answers.every((a) => a.cluster === 'fra' && a.locality === 'remote')).toBe(true)
    const metrics = await (await fetch(metricsUrl)).text()
    expect(metrics).toMatch(/fado_edge_remote_requests_total\{bucket="photos"\} [1-9]/)
    relay = await startWanRelay({
      rttMs: 20,
      mbit: 100,
      target: { host: '127.0.0.1', port: p.clusters.iad!.fn.port },
      port: relay.port,
    })
  })
})

describe('the Workers edge in workerd: its zone from FADO_EDGE_ZONE, or per request from its zone map', () => {
  let mf: Miniflare
  let token: string
  const send = (cf?: Record<string, string>) => (url: string, init: RequestInit) =>
    mf.dispatchFetch(url, {
      ...(init as object),
      ...(cf ? { cf } : {}),
    } as never) as unknown as Promise<Response>

  beforeAll(async () => {
    token = await createToken(p.fado, 'edge')
    mf = await startWorkerEdge(p.fado, {
      token,
      vars: {
        FADO_EDGE_ZONE: 'eu',
        FADO_ZONE_MAP: JSON.stringify({ colo: { IAD: 'us' }, continent: { NA: 'us' } }),
      },
    })
    await waitFor('the Worker to serve photos', async () => {
      const res = await mf.dispatchFetch('http://edge.local/function/nodeinfo', {
        headers: { 'X-FaDO-Bucket': 'photos' },
        cf: { colo: 'FRA', continent: 'EU' },
      } as never)
      await res.arrayBuffer()
      return res.status === 200
    })
  }, 60_000)
  afterAll(async () => {
    await mf?.dispose()
  })

  it('a request arriving in Frankfurt is served in eu, one arriving in Ashburn in us', async () => {
    const fra = await invoke('http://edge.local', 6, send({ colo: 'FRA', continent: 'EU' }))
    expect(fra.every((a) => a.cluster === 'fra' && a.locality === 'local')).toBe(true)
    const iad = await invoke('http://edge.local', 6, send({ colo: 'IAD', continent: 'NA' }))
    expect(iad.every((a) => a.cluster === 'iad' && a.locality === 'local')).toBe(true)
    const status = (await (
      await mf.dispatchFetch('http://edge.local/_fado/status', {
        headers: { authorization: `Bearer ${token}` },
        cf: { colo: 'FRA', continent: 'EU' },
      } as never)
    ).json()) as { zone: string }
    expect(status.zone).toBe('eu')
  })

  it('reports its invocations to control with their zones (every 5 s, on a request)', async () => {
    const before = async (zone: string) =>
      ((await p.fado.api('GET', `/api/buckets/${bucketId}`)).body.demand_by_zone.find(
        (d: { zone: string }) => d.zone === zone,
      )?.invocations ?? 0) as number
    const usBefore = await before('us')
    await invoke('http://edge.local', 5, send({ colo: 'IAD', continent: 'NA' }))
    await new Promise((r) => setTimeout(r, 5_500))
    // The next request after the interval carries the report.
    await invoke('http://edge.local', 1, send({ colo: 'IAD', continent: 'NA' }))
    await waitFor(
      'the Worker’s figures at control',
      async () => (await before('us')) >= usBefore + 5,
    )
  })

  it('a bad zone variable is a clear configuration error, not a silent default', async () => {
    const broken = await startWorkerEdge(p.fado, {
      token,
      vars: { FADO_ZONE_MAP: '{"colo": {"fra": "eu"}}' },
    })
    try {
      const res = await broken.dispatchFetch('http://edge.local/function/nodeinfo', {
        headers: { 'X-FaDO-Bucket': 'photos' },
      })
      expect(res.status).toBe(500)
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(
        /FADO_ZONE_MAP.colo.fra/,
      )
    } finally {
      await broken.dispose()
    }
  })
})
