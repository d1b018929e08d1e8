/**
 * The Node edge's Prometheus metrics. Each worker process counts its own invocations in
 * prom-client's default registry; the primary serves them summed over workers
 * (AggregatorRegistry, over the cluster IPC channel), with what only it knows — the snapshot it
 * hands out and each upstream's health as the workers report it — on a port of its own, never
 * the invocation port:
 *
 *   fado_edge_requests_total{bucket,cluster,code}
 *   fado_edge_request_duration_seconds{bucket,cluster}   histogram
 *   fado_edge_retries_total
 *   fado_edge_remote_requests_total{bucket}   answered outside the edge's zone
 *   fado_edge_response_bytes_total{bucket}
 *   fado_edge_info{zone}
 *   fado_edge_upstream_healthy{upstream,cluster}
 *   fado_snapshot_version
 *   fado_snapshot_age_seconds
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { AggregatorRegistry, Counter, Gauge, Histogram, Registry, register } from 'prom-client'
import type { EdgeStatus } from './app.js'
import type { InvocationMetrics } from './edge-metrics.js'
import type { RouteSnapshot } from './snapshot.js'

/**
 * In a worker (or a single-process edge): counters in the default registry. In a cluster worker
 * this also answers the primary's requests for them (prom-client listens once an
 * AggregatorRegistry exists in the process).
 */
export function workerMetrics(registry: Registry = register): InvocationMetrics {
  new AggregatorRegistry()
  const requests = new Counter({
    name: 'fado_edge_requests_total',
    help: 'Invocations answered by the edge, by bucket, cluster that ran it and status code',
    labelNames: ['bucket', 'cluster', 'code'],
    registers: [registry],
  })
  const duration = new Histogram({
    name: 'fado_edge_request_duration_seconds',
    help: 'Invocation time at the edge, from request to the end of the answer',
    labelNames: ['bucket', 'cluster'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  })
  const remote = new Counter({
    name: 'fado_edge_remote_requests_total',
    help: "Invocations answered by a cluster outside the edge's zone, by bucket",
    labelNames: ['bucket'],
    registers: [registry],
  })
  const bytes = new Counter({
    name: 'fado_edge_response_bytes_total',
    help: 'Bytes answered to clients, by bucket',
    labelNames: ['bucket'],
    registers: [registry],
  })
  const retries = new Counter({
    name: 'fado_edge_retries_total',
    help: 'Further upstreams tried after a first one failed',
    registers: [registry],
  })
  return {
    invocation(facts, seconds) {
      const { bucket, cluster, code } = facts
      requests.inc({ bucket, cluster, code: String(code) })
      duration.observe({ bucket, cluster }, seconds)
      if (facts.remote) remote.inc({ bucket })
      if (facts.bytes) bytes.inc({ bucket }, facts.bytes)
    },
    retries(count) {
      if (count > 0) retries.inc(count)
    },
  }
}

export interface MetricsServer {
  url: string
  close(): Promise<void>
}

/** In the primary: the workers' metrics summed, plus snapshot and upstream health gauges. */
export async function startMetricsServer(opts: {
  host: string
  port: number
  status: () => EdgeStatus
  snapshot: () => RouteSnapshot | undefined
  zone?: string | undefined
}): Promise<MetricsServer> {
  const aggregator = new AggregatorRegistry()
  const own = new Registry()
  new Gauge({
    name: 'fado_edge_info',
    help: "This edge: its zone ('' when it does not know it)",
    labelNames: ['zone'],
    registers: [own],
  }).set({ zone: opts.zone ?? '' }, 1)
  new Gauge({
    name: 'fado_snapshot_version',
    help: 'Version of the route snapshot this edge serves',
    registers: [own],
    collect() {
      this.set(opts.status().snapshot_version)
    },
  })
  new Gauge({
    name: 'fado_snapshot_age_seconds',
    help: 'Seconds since control generated the snapshot this edge serves',
    registers: [own],
    collect() {
      const generated = opts.status().generated_at
      if (generated) this.set(Math.max(0, (Date.now() - Date.parse(generated)) / 1000))
    },
  })
  new Gauge({
    name: 'fado_edge_upstream_healthy',
    help: 'Whether an upstream (FaaS deployment id) takes invocations (1) or is held out (0)',
    labelNames: ['upstream', 'cluster'],
    registers: [own],
    collect() {
      const cluster = new Map<number, string>()
      for (const route of Object.values(opts.snapshot()?.routes ?? {}))
        for (const u of route.upstreams) cluster.set(u.id, u.cluster)
      this.reset()
      for (const u of opts.status().upstreams)
        this.set(
          { upstream: String(u.id), cluster: cluster.get(u.id) ?? '' },
          u.healthy && u.probe !== 'unhealthy' ? 1 : 0,
        )
    },
  })
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('GET /metrics\n')
      return
    }
    void (async () => {
      const parts = [await own.metrics()]
      try {
        parts.push(await aggregator.clusterMetrics())
      } catch {
        // A worker that does not answer (restarting): its figures are missing from this scrape.
      }
      res.writeHead(200, { 'content-type': own.contentType }).end(parts.join('\n'))
    })()
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port, opts.host, resolve)
  })
  const { port } = server.address() as AddressInfo
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host
  return {
    url: `http://${host}:${port}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
