/**
 * Metrics as an operator sees them: a real Prometheus (Debian's `prometheus`, started here)
 * scrapes control's /metrics (with a metrics-scope token) and the standalone edge's
 * --metrics-port every second, and PromQL answers what happened — invocations counted exactly
 * and split by the cluster that ran them, the replication backlog rising while a replica behind a
 * slow link (a real throttling TCP relay) catches up and falling to 0 once it has, with the lag.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createToken } from './helpers/control.js'
import { freePort, waitFor } from './helpers/ports.js'
import {
  startPlatform,
  waitSynced,
  type TestCluster,
  type TestPlatform,
} from './helpers/platform.js'
import { startPrometheus, type TestPrometheus } from './helpers/prometheus.js'
import { startWanRelay } from '../platform/wan-relay.js'
import { startMinio } from './helpers/minio.js'
import { putBytes, randomData, trackBody } from './helpers/storage.js'

let p: TestPlatform
let prom: TestPrometheus
let hpc: TestCluster
let cc1: TestCluster
let metricsToken: string
let edgeMetrics: string

beforeAll(async () => {
  p = await startPlatform([{ name: 'hpc' }, { name: 'cc1' }], {
    config: { metricsPort: await freePort() },
    reconciler: { copyConcurrency: 2 },
  })
  ;({ hpc, cc1 } = p.clusters as Record<'hpc' | 'cc1', TestCluster>)
  metricsToken = await createToken(p.fado, 'metrics')
  edgeMetrics = p.fado.running.edgeMetricsUrl ?? ''
  prom = await startPrometheus([
    { job: 'fado-control', target: new URL(p.fado.running.apiUrl).host, token: metricsToken },
    { job: 'fado-edge', target: new URL(edgeMetrics).host },
  ])
  const res = await p.fado.api('POST', '/api/buckets', {
    name: 'photos',
    storage_id: hpc.storage_id,
    replica_locations: [cc1.storage_id],
  })
  await putBytes(hpc.minio, 'photos', 'a.bin', randomData(1000))
  await waitSynced(p.fado, res.body.bucket_id, [cc1.storage_id])
  await waitFor('both targets up in Prometheus', async () => {
    const targets = await prom.targets()
    return targets.length === 2 && targets.every((t) => t.health === 'up')
  })
}, 180_000)

afterAll(async () => {
  await prom?.stop()
  await p?.close()
})

const value = async (promql: string): Promise<number | undefined> =>
  (await prom.query(promql))[0]?.value

describe('scrape endpoints', () => {
  it('control /metrics needs an admin or metrics token; a metrics token reaches nothing else', async () => {
    const url = `${p.fado.running.apiUrl}/metrics`
    expect((await fetch(url)).status).toBe(401)
    const edgeToken = await createToken(p.fado, 'edge')
    expect((await fetch(url, { headers: { authorization: `Bearer ${edgeToken}` } })).status).toBe(
      403,
    )
    const ok = await fetch(url, { headers: { authorization: `Bearer ${metricsToken}` } })
    expect(ok.status).toBe(200)
    expect(ok.headers.get('content-type')).toMatch(/^text\/plain/)
    const text = await ok.text()
    for (const name of [
      'fado_replication_pending_objects',
      'fado_replication_pending_bytes',
      'fado_replication_lag_seconds',
      'fado_replication_errors_total',
      'fado_replica_in_sync',
      'fado_snapshot_version',
      'fado_api_requests_total',
    ])
      expect(text).toContain(`# TYPE ${name} `)
    // Control's own process: what an operator watches while a pass runs.
    const sample = (name: string) =>
      Number(new RegExp(`^${name} ([0-9.e+-]+)`, 'm').exec(text)?.[1])
    expect(sample('fado_control_process_resident_memory_bytes')).toBeGreaterThan(20 * 2 ** 20)
    expect(sample('fado_control_process_resident_memory_bytes')).toBeLessThan(8 * 2 ** 30)
    expect(sample('fado_control_nodejs_eventloop_lag_p99_seconds')).toBeGreaterThan(0)
    expect(sample('fado_control_nodejs_heap_size_used_bytes')).toBeGreaterThan(0)
    const forbidden = await fetch(`${p.fado.running.apiUrl}/api/buckets`, {
      headers: { authorization: `Bearer ${metricsToken}` },
    })
    expect(forbidden.status).toBe(403)
  })

  it('the edge serves metrics on their own loopback port, not on the invocation port', async () => {
    expect(new URL(edgeMetrics).hostname).toBe('127.0.0.1')
    expect(new URL(edgeMetrics).port).not.toBe(new URL(p.edgeUrl).port)
    const text = await (await fetch(edgeMetrics)).text()
    for (const name of [
      'fado_snapshot_version',
      'fado_snapshot_age_seconds',
      'fado_edge_upstream_healthy',
    ])
      expect(text).toContain(`# TYPE ${name} `)
    const onInvocationPort = await fetch(`${p.edgeUrl}/metrics`)
    expect(onInvocationPort.status).toBe(400) // no bucket header: an invocation, not metrics
  })
})

describe('PromQL over what happened', () => {
  it('counts a burst of invocations exactly, split by the cluster that ran each', async () => {
    const ran: Record<string, number> = {}
    for (let i = 0; i < 60; i++) {
      const res = await fetch(`${p.edgeUrl}/function/nodeinfo`, {
        headers: { 'X-FaDO-Bucket': 'photos' },
      })
      expect(res.status).toBe(200)
      const cluster = res.headers.get('x-fado-cluster') ?? ''
      ran[cluster] = (ran[cluster] ?? 0) + 1
      await res.arrayBuffer()
      await new Promise((r) => setTimeout(r, 50)) // ~3 s of traffic: several scrapes see it rise
    }
    await fetch(`${p.edgeUrl}/`, { headers: { 'X-FaDO-Bucket': 'no-such-bucket' } })
    expect(Object.keys(ran).sort()).toEqual(['cc1', 'hpc'])
    await waitFor(
      'Prometheus to count 60 invocations of photos',
      async () => (await value('sum(fado_edge_requests_total{bucket="photos",code="200"})')) === 60,
      20_000,
    )
    const byCluster = await prom.query(
      'sum by (cluster) (fado_edge_requests_total{bucket="photos",code="200"})',
    )
    expect(Object.fromEntries(byCluster.map((s) => [s.metric.cluster, s.value]))).toEqual(ran)
    // A rate needs two scrapes of the series: wait for the next one.
    await waitFor(
      'a request rate for both clusters',
      async () => {
        const rate = await prom.query(
          'sum by (cluster) (rate(fado_edge_requests_total{bucket="photos"}[1m]))',
        )
        return (
          rate
            .map((s) => s.metric.cluster)
            .sort()
            .join() === 'cc1,hpc' && rate.every((s) => s.value > 0)
        )
      },
      10_000,
    )
    // A refusal is counted without the client's bucket name as a label (it was made after the
    // last invocation: the scrape that saw 60 may have come before it).
    await waitFor(
      'the refusal to be scraped',
      async () =>
        (await value('sum(fado_edge_requests_total{bucket="",cluster="",code="404"})')) !==
        undefined,
      10_000,
    )
    expect(await value('sum(fado_edge_requests_total{bucket="",cluster="",code="404"})')).toBe(1)
    expect(await value('count(fado_edge_requests_total{bucket="no-such-bucket"})')).toBeUndefined()
    expect(
      await value(
        'histogram_quantile(0.99, sum by (le) (rate(fado_edge_request_duration_seconds_bucket{bucket="photos"}[1m])))',
      ),
    ).toBeGreaterThan(0)
    expect(await value('min(fado_edge_upstream_healthy)')).toBe(1)
    const version = (await p.fado.api('GET', '/api/load-balancer')).body.snapshot_version
    expect(await value('fado_snapshot_version{job="fado-edge"}')).toBe(version)
    expect(await value('fado_snapshot_version{job="fado-control"}')).toBe(version)
    // Control counts its API requests by route pattern (the GET above, once scraped).
    await waitFor(
      'the API request in Prometheus',
      async () =>
        ((await value(
          'sum(fado_api_requests_total{job="fado-control",method="GET",route="/api/load-balancer",code="200"})',
        )) ?? 0) > 0,
      10_000,
    )
  })

  it('shows the backlog rising while a slow replica catches up and falling to 0 once it has, with the lag', async () => {
    // A third MinIO in cluster cc1, reached through a 16 Mbit/s link: 16 MiB take ~8 s to copy.
    const slow = await startMinio()
    const link = await startWanRelay({
      rttMs: 2,
      mbit: 16,
      target: { host: '127.0.0.1', port: slow.port },
    })
    try {
      const tracked = await p.fado.api('POST', '/api/storage-deployments', {
        ...trackBody(slow, 'minio-slow', cc1.cluster_id),
        endpoint: link.endpoint,
      })
      expect(tracked.status, tracked.text).toBe(201)
      const made = await p.fado.api('POST', '/api/buckets', {
        name: 'backlog',
        storage_id: hpc.storage_id,
      })
      const files = 8
      for (let i = 0; i < files; i++)
        await putBytes(hpc.minio, 'backlog', `f${i}.bin`, randomData(2 * 1024 * 1024))
      const series = '{bucket="backlog",storage="minio-slow"}'
      await p.fado.api('PUT', `/api/buckets/${made.body.bucket_id}`, {
        replica_locations: [tracked.body.storage_id],
      })
      await waitFor(
        'Prometheus to see the backlog',
        async () => ((await value(`fado_replication_pending_objects${series}`)) ?? 0) > 0,
        20_000,
      )
      expect(await value(`fado_replication_pending_bytes${series}`)).toBeGreaterThan(0)
      expect(await value(`fado_replica_in_sync${series}`)).toBe(0)
      await waitSynced(p.fado, made.body.bucket_id, [tracked.body.storage_id])
      await waitFor(
        'the backlog back at 0 and the replica in sync, in Prometheus',
        async () =>
          (await value(`fado_replication_pending_objects${series}`)) === 0 &&
          (await value(`fado_replication_pending_bytes${series}`)) === 0 &&
          (await value(`fado_replica_in_sync${series}`)) === 1,
        30_000,
      )
      // Recorded over the copy: it rose to several objects and fell as they arrived.
      expect(
        await value(`max_over_time(fado_replication_pending_objects${series}[5m])`),
      ).toBeGreaterThanOrEqual(2)
      expect(
        await value(`max_over_time(fado_replication_pending_bytes${series}[5m])`),
      ).toBeGreaterThanOrEqual(4 * 1024 * 1024)
      expect(await value('fado_replication_lag_seconds_count{bucket="backlog"}')).toBe(files)
      // Copies queued behind the slow link waited: the mean lag is seconds, not milliseconds.
      expect(
        await value(
          'fado_replication_lag_seconds_sum{bucket="backlog"} / fado_replication_lag_seconds_count{bucket="backlog"}',
        ),
      ).toBeGreaterThan(1)
      expect(await value('sum(fado_replication_errors_total{bucket="backlog"})')).toBeUndefined()
    } finally {
      await link.close()
      await slow.destroy()
    }
  })
})
