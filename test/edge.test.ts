/**
 * Data-aware routing end to end, with real processes: three clusters (MinIO + function server
 * each), buckets with different replica sets, FaDO control + Node edge. Every invocation must land
 * in a cluster holding the bucket and read the right bytes there; policies spread as specified;
 * a new replica gets traffic only once synced; failures are JSON errors or retried.
 */
import { createHash } from 'node:crypto'
import http from 'node:http'
import type { Miniflare } from 'miniflare'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePort, waitFor } from './helpers/ports.js'
import { waitForPublishedRoute, waitForRoute } from './helpers/control.js'
import { startWorkerEdge, waitForWorkerVersion } from './helpers/workerd.js'
import {
  startPlatform,
  waitSynced,
  type TestCluster,
  type TestPlatform,
} from './helpers/platform.js'
import { startFunctionServer } from '../platform/function-server.js'
import { putBytes, randomData, s3Of, sha256 } from './helpers/storage.js'

let p: TestPlatform
const photo = randomData(300_000)
const holders: Record<string, string[]> = {
  'only-hpc': ['hpc'],
  'hpc-cc1': ['cc1', 'hpc'],
  everywhere: ['cc1', 'cc2', 'hpc'],
}
const bucketIds: Record<string, number> = {}

beforeAll(async () => {
  p = await startPlatform([{ name: 'hpc' }, { name: 'cc1' }, { name: 'cc2', prefix: '/gateway' }])
  const { hpc, cc1, cc2 } = p.clusters as Record<'hpc' | 'cc1' | 'cc2', TestCluster>
  const make = async (name: string, master: number, replicas: number[]) => {
    const res = await p.fado.api('POST', '/api/buckets', {
      name,
      storage_id: master,
      replica_locations: replicas,
    })
    bucketIds[name] = res.body.bucket_id
    await putBytes(
      [hpc, cc1, cc2].find((c) => c.storage_id === master)!.minio,
      name,
      'photo.bin',
      photo,
    )
    await waitSynced(p.fado, res.body.bucket_id, replicas)
  }
  await make('only-hpc', hpc.storage_id, [])
  await make('hpc-cc1', hpc.storage_id, [cc1.storage_id])
  await make('everywhere', cc2.storage_id, [hpc.storage_id, cc1.storage_id])
  await waitFor('routes for all buckets', async () => {
    const routes = (await p.fado.api('GET', '/api/load-balancer')).body.routes
    return Object.entries(holders).every(
      ([b, cs]) =>
        routes[b]?.upstreams
          .map((u: { cluster: string }) => u.cluster)
          .sort()
          .join() === cs.join(),
    )
  })
}, 180_000)

afterAll(async () => {
  await p?.close()
})

const invoke = (path: string, headers: Record<string, string> = {}, init: RequestInit = {}) =>
  fetch(`${p.edgeUrl}${path}`, { ...init, headers, signal: AbortSignal.timeout(15_000) })

describe('data-aware routing through the Node edge', () => {
  it('every invocation lands in a cluster holding the bucket and reads the right bytes there', async () => {
    for (const [bucket, clusters] of Object.entries(holders)) {
      const seen = new Set<string>()
      for (let i = 0; i < 12; i++) {
        const res = await invoke('/function/image?object=photo.bin', { 'X-FaDO-Bucket': bucket })
        const body = await res.json()
        expect(res.status, JSON.stringify(body)).toBe(200)
        const cluster = res.headers.get('x-fado-cluster') ?? ''
        expect(clusters).toContain(cluster)
        expect(body).toEqual({
          cluster,
          bucket,
          raw: expect.stringMatching(/^(\/gateway)?\/function\/image\?object=photo\.bin$/),
          object: 'photo.bin',
          size: photo.length,
          sha256: sha256(photo),
        })
        seen.add(cluster)
      }
      expect([...seen].sort()).toEqual(clusters) // round robin reaches every holder
    }
  })

  it('forwards method, path after the upstream’s own prefix, and query; streams large bodies both ways', async () => {
    await p.fado.api('PUT', '/api/load-balancer/route-overrides', {
      everywhere: { faas_ids: [p.clusters.cc2!.faas_id] },
    })
    // Published and served: one answer from cc2 could still be round robin over the old route.
    await waitForRoute(p.fado, 'everywhere', ['cc2'])
    const info = await (
      await invoke('/function/nodeinfo?x=1&y=%20z', { 'X-FaDO-Bucket': 'everywhere' })
    ).json()
    expect(info).toEqual({
      cluster: 'cc2',
      path: '/gateway/function/nodeinfo',
      query: '?x=1&y=%20z',
      raw: '/gateway/function/nodeinfo?x=1&y=%20z',
    })

    // node:http, because fetch will not send a Connection header, as real clients do.
    const big = randomData(24 * 1024 * 1024)
    const echoed = await new Promise<{
      status: number
      headers: http.IncomingHttpHeaders
      body: Buffer
    }>((resolve, reject) => {
      const req = http.request(`${p.edgeUrl}/function/echo`, {
        method: 'POST',
        headers: {
          'X-FaDO-Bucket': 'everywhere',
          'content-type': 'application/x-test',
          'content-length': big.length,
          Connection: 'keep-alive, x-hop',
          'x-hop': 'must not pass',
          'x-end-to-end': 'passes',
        },
      })
      req.on('response', (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks),
          }),
        )
      })
      req.on('error', reject)
      req.end(big)
    })
    expect(echoed.status).toBe(200)
    expect(echoed.headers['x-fado-cluster']).toBe('cc2')
    const received = JSON.parse(String(echoed.headers['x-received-headers'] ?? '{}'))
    expect(received['x-end-to-end']).toBe('passes')
    expect(received['x-hop']).toBeUndefined()
    expect(received['x-fado-bucket']).toBe('everywhere')
    expect(received['x-forwarded-host']).toBeDefined()
    expect(createHash('sha256').update(echoed.body).digest('hex')).toBe(sha256(big))
    await p.fado.api('PUT', '/api/load-balancer/route-overrides', {})
  })

  it('answers JSON errors: 400 header missing, 404 unknown bucket, 503 no upstream', async () => {
    const missing = await invoke('/function/nodeinfo')
    expect(missing.status).toBe(400)
    expect((await missing.json()).error.code).toBe('missing_bucket_header')
    const unknown = await invoke('/function/nodeinfo', { 'X-FaDO-Bucket': 'no-such-bucket' })
    expect(unknown.status).toBe(404)
    expect((await unknown.json()).error.code).toBe('unknown_bucket')
    // A bucket whose only cluster has no FaaS deployment.
    const lonely = (await p.fado.api('POST', '/api/clusters', { name: 'storage-only' })).body
    const moved = await p.fado.api('PUT', `/api/faas-deployments/${p.clusters.cc2!.faas_id}`, {
      cluster_id: lonely.cluster_id,
    })
    expect(moved.status).toBe(200)
    await p.fado.api('PUT', '/api/load-balancer/route-overrides', {})
    await p.fado.api('POST', '/api/buckets', {
      name: 'nowhere',
      storage_id: p.clusters.cc2!.storage_id,
    })
    await waitFor(
      'route for nowhere',
      async () => (await invoke('/x', { 'X-FaDO-Bucket': 'nowhere' })).status === 503,
    )
    const none = await invoke('/x', { 'X-FaDO-Bucket': 'nowhere' })
    expect((await none.json()).error.code).toBe('no_healthy_upstream')
    await p.fado.api('PUT', `/api/faas-deployments/${p.clusters.cc2!.faas_id}`, {
      cluster_id: p.clusters.cc2!.cluster_id,
    })
  })

  it('policies spread load as specified', async () => {
    const clusterOf = async (headers: Record<string, string> = {}) =>
      (
        await invoke('/function/nodeinfo', { 'X-FaDO-Bucket': 'everywhere', ...headers })
      ).headers.get('x-fado-cluster') ?? ''
    const setPolicy = async (policy: string) => {
      await p.fado.api('PUT', '/api/load-balancer/route-overrides', { everywhere: { policy } })
      await waitFor(
        `policy ${policy} served`,
        async () =>
          (await p.fado.api('GET', '/api/load-balancer')).body.routes.everywhere.policy === policy,
      )
      await new Promise((r) => setTimeout(r, 50)) // in-process edge: applied on publish
    }
    const count = (xs: string[]) =>
      xs.reduce<Record<string, number>>((m, x) => ({ ...m, [x]: (m[x] ?? 0) + 1 }), {})

    await setPolicy('round_robin')
    const rr = count(await Promise.all(Array.from({ length: 30 }, () => clusterOf())))
    expect(rr).toEqual({ hpc: 10, cc1: 10, cc2: 10 })

    await setPolicy('first')
    const first = new Set(await Promise.all(Array.from({ length: 10 }, () => clusterOf())))
    expect(first.size).toBe(1)

    await setPolicy('hash')
    for (const key of ['alice', 'bob', 'carol']) {
      const picks = new Set<string>()
      for (let i = 0; i < 5; i++) picks.add(await clusterOf({ 'X-FaDO-Hash-Key': key }))
      expect(picks.size).toBe(1)
    }
    const spread = new Set<string>()
    for (let i = 0; i < 30; i++) spread.add(await clusterOf({ 'X-FaDO-Hash-Key': `user-${i}` }))
    expect(spread.size).toBe(3)

    for (const policy of ['random', 'least_conn', 'fastest']) {
      await setPolicy(policy)
      const seen = count(await Promise.all(Array.from({ length: 60 }, () => clusterOf())))
      expect(Object.keys(seen).sort(), policy).toEqual(['cc1', 'cc2', 'hpc'])
    }
    await p.fado.api('PUT', '/api/load-balancer/route-overrides', {})
  })

  it('a bucket gaining a replica receives traffic there only once the replica is synced', async () => {
    const { hpc, cc1 } = p.clusters as Record<'hpc' | 'cc1' | 'cc2', TestCluster>
    const res = await p.fado.api('POST', '/api/buckets', {
      name: 'growing',
      storage_id: hpc.storage_id,
    })
    for (let i = 0; i < 20; i++)
      await putBytes(hpc.minio, 'growing', `chunk-${i}`, randomData(1024 * 1024))
    await p.fado.running.reconciler.whenIdle()
    // Invariant: a call answered by cc1 means the replica was synced by then, so the status read
    // right after the call must say so. And the test must see calls made before it was.
    const log: { cluster: string; syncedAfter: boolean }[] = []
    const status = async () =>
      (await p.fado.api('GET', `/api/buckets/${res.body.bucket_id}`)).body.replicas[0]?.status
    const watcher = (async () => {
      for (let i = 0; i < 400 && log.filter((l) => l.cluster === 'cc1').length < 3; i++) {
        const r = await invoke('/function/image?object=chunk-0', { 'X-FaDO-Bucket': 'growing' })
        expect(r.status).toBe(200)
        log.push({
          cluster: r.headers.get('x-fado-cluster') ?? '',
          syncedAfter: (await status()) === 'synced',
        })
      }
    })()
    await p.fado.api('PUT', `/api/buckets/${res.body.bucket_id}`, {
      replica_locations: [cc1.storage_id],
    })
    await watcher
    expect(log.some((l) => !l.syncedAfter)).toBe(true) // the unsynced window was observed
    expect(log.filter((l) => l.cluster === 'cc1').length).toBeGreaterThanOrEqual(3) // traffic arrives
    expect(log.filter((l) => l.cluster === 'cc1').every((l) => l.syncedAfter)).toBe(true)
    expect(log.filter((l) => !l.syncedAfter).every((l) => l.cluster === 'hpc')).toBe(true)
  })

  it('a function server going down: requests are retried elsewhere and it is reported unhealthy', async () => {
    const cc1 = p.clusters.cc1!
    await cc1.fn.close()
    const results = await Promise.all(
      Array.from({ length: 30 }, () =>
        invoke('/function/nodeinfo', { 'X-FaDO-Bucket': 'everywhere' }),
      ),
    )
    expect(results.map((r) => r.status)).toEqual(Array(30).fill(200))
    expect(results.every((r) => r.headers.get('x-fado-cluster') !== 'cc1')).toBe(true)
    // Standalone shows its edge's full status in the admin API (the public port answers briefly),
    // as its worker last reported it (about every second).
    await waitFor(
      'the edge to report cc1 failing',
      async () => {
        const status = (await p.fado.api('GET', '/api/load-balancer')).body.edge
        const health = status.upstreams.find((u: { id: number }) => u.id === cc1.faas_id)
        return health.consecutive_failures > 0
      },
      5_000,
    )
    // The only upstream of a route down: 502 after the attempt, JSON.
    await p.fado.api('PUT', '/api/load-balancer/route-overrides', {
      'hpc-cc1': { faas_ids: [cc1.faas_id] },
    })
    await waitFor(
      'override',
      async () =>
        (await p.fado.api('GET', '/api/load-balancer')).body.routes['hpc-cc1'].upstreams.length ===
        1,
    )
    await new Promise((r) => setTimeout(r, 1_100)) // let the ejection lapse so the edge tries it
    const down = await invoke('/function/nodeinfo', { 'X-FaDO-Bucket': 'hpc-cc1' })
    expect([502, 503]).toContain(down.status)
    expect((await down.json()).error.code).toMatch(/upstream_failed|no_healthy_upstream/)
  })
})

describe('the same routing inside workerd (Workers build, via miniflare)', () => {
  let mf: Miniflare
  beforeAll(async () => {
    await p.fado.api('PUT', '/api/load-balancer/route-overrides', {})
    // The previous test took cc1's function server down: bring it back on the same address.
    const cc1 = p.clusters.cc1!
    cc1.fn = await startFunctionServer({
      cluster: 'cc1',
      storage: s3Of(cc1.minio),
      port: cc1.fn.port,
    })
    mf = await startWorkerEdge(p.fado)
  })
  afterAll(async () => {
    await mf?.dispose()
  })

  const viaWorker = (path: string, headers: Record<string, string> = {}) =>
    mf.dispatchFetch(`http://edge.local${path}`, { headers })

  it('routes every invocation to a cluster holding the bucket, with the right bytes', async () => {
    for (const [bucket, clusters] of Object.entries(holders)) {
      const seen = new Set<string>()
      for (let i = 0; i < 9; i++) {
        const res = await viaWorker('/function/image?object=photo.bin', { 'X-FaDO-Bucket': bucket })
        const body = (await res.json()) as Record<string, unknown>
        expect(res.status, JSON.stringify(body)).toBe(200)
        const cluster = res.headers.get('x-fado-cluster') ?? ''
        expect(clusters).toContain(cluster)
        expect(body).toMatchObject({ cluster, bucket, size: photo.length, sha256: sha256(photo) })
        seen.add(cluster)
      }
      expect([...seen].sort()).toEqual(clusters)
    }
  })

  it('answers the same JSON errors and reports the snapshot version it serves', async () => {
    expect((await viaWorker('/function/nodeinfo')).status).toBe(400)
    const unknown = await viaWorker('/function/nodeinfo', { 'X-FaDO-Bucket': 'no-such-bucket' })
    expect(unknown.status).toBe(404)
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe(
      'unknown_bucket',
    )
    const status = (await (await viaWorker('/_fado/status')).json()) as { snapshot_version: number }
    const control = (await p.fado.api('GET', '/api/load-balancer')).body.snapshot_version
    expect(status.snapshot_version).toBe(control)
  })

  it('the same forwarding rules: the path stays under the prefix, the client is forwarded, errors name no address', async () => {
    // cc2's function server sits under /gateway; workerd resolves dot segments before the edge
    // sees them (clamped at the root), so none can climb out of the prefix.
    await p.fado.api('PUT', '/api/load-balancer/route-overrides', {
      everywhere: { faas_ids: [p.clusters.cc2!.faas_id] },
    })
    // Published and pulled: one answer from cc2 could still be round robin over the old route.
    await waitForWorkerVersion(mf, await waitForPublishedRoute(p.fado, 'everywhere', ['cc2']))
    const climbed = await viaWorker('/../../function/%2e%2e/function/nodeinfo?q=1', {
      'X-FaDO-Bucket': 'everywhere',
    })
    expect(((await climbed.json()) as { raw: string }).raw).toBe('/gateway/function/nodeinfo?q=1')
    const echo = await viaWorker('/function/echo', {
      'X-FaDO-Bucket': 'everywhere',
      'X-Forwarded-For': '6.6.6.6',
      'CF-Connecting-IP': '203.0.113.9',
    })
    const seen = JSON.parse(echo.headers.get('x-received-headers') ?? '{}')
    expect(seen['x-forwarded-for']).toBe('203.0.113.9')
    expect(seen.forwarded).toMatch(/^for=203\.0\.113\.9;proto=http;host=/)
    // A request id, as on Node: made here, seen by the upstream, returned to the client.
    expect(echo.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/)
    expect(seen['x-request-id']).toBe(echo.headers.get('x-request-id'))
    const traced = await viaWorker('/function/echo', {
      'X-FaDO-Bucket': 'everywhere',
      'X-Request-Id': 'trace-7',
    })
    expect(JSON.parse(traced.headers.get('x-received-headers') ?? '{}')['x-request-id']).toBe(
      'trace-7',
    )
    expect(traced.headers.get('x-request-id')).toBe('trace-7')
    // A FaaS deployment that does not answer: 502 naming the cluster only.
    const dead = await p.fado.api('POST', '/api/faas-deployments', {
      cluster_id: p.clusters.cc1!.cluster_id,
      url: `http://127.0.0.1:${await freePort()}`,
    })
    await p.fado.api('PUT', '/api/load-balancer/route-overrides', {
      everywhere: { faas_ids: [dead.body.faas_id] },
    })
    await waitFor(
      'the dead route in the Worker',
      async () =>
        (await viaWorker('/function/nodeinfo', { 'X-FaDO-Bucket': 'everywhere' })).status === 502,
      10_000,
    )
    const failed = await (
      await viaWorker('/function/nodeinfo', { 'X-FaDO-Bucket': 'everywhere' })
    ).text()
    expect(JSON.parse(failed).error.message).toContain("cluster 'cc1'")
    expect(failed).not.toMatch(/127\.0\.0\.1|ECONNREFUSED/)
    await p.fado.api('DELETE', `/api/faas-deployments/${dead.body.faas_id}`)
    await p.fado.api('PUT', '/api/load-balancer/route-overrides', {})
  })

  it('picks up a route change from control', async () => {
    await p.fado.api('PUT', '/api/load-balancer/route-overrides', {
      everywhere: { faas_ids: [p.clusters.hpc!.faas_id] },
    })
    await waitFor(
      'the Worker to serve the override',
      async () => {
        const clusters = await Promise.all(
          Array.from({ length: 4 }, async () =>
            (await viaWorker('/function/nodeinfo', { 'X-FaDO-Bucket': 'everywhere' })).headers.get(
              'x-fado-cluster',
            ),
          ),
        )
        return clusters.every((c) => c === 'hpc')
      },
      10_000,
    )
    await p.fado.api('PUT', '/api/load-balancer/route-overrides', {})
  })
})
