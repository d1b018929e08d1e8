/**
 * The Node edge on every core: N worker processes (node:cluster) accept invocations on one shared
 * port — each accepts for itself (SCHED_NONE), so a primary that is busy (standalone: the
 * embedded database runs on its thread) never stands between a client and the edge. The primary
 * hands every new route snapshot to every worker (one pull for all), restarts a worker that dies,
 * merges their status reports, and runs the active health checks once for all of them.
 *
 * Per worker: upstream health, latency and in-flight counts, and policy state (round-robin
 * position). Each worker learns on its own, as Workers isolates do; a failing upstream is ejected
 * by each worker on its own first failure.
 */
import cluster, { type Worker } from 'node:cluster'
import net from 'node:net'
import type { EdgeStatus } from './app.js'
import { builtScript } from './built-script.js'
import type { StatsEntry } from './invocation-stats.js'
import type { LogFormat, Logger } from './log.js'
import type { EdgeServerOptions } from './node.js'
import { startMetricsServer } from './node-metrics.js'
import { startProber } from './node-prober.js'
import type { Refusal } from './snapshot-store.js'
import type { RouteSnapshot } from './snapshot.js'

export type FromPrimary =
  | { type: 'snapshot'; snapshot: RouteSnapshot }
  /** The active health check's verdict; null: no longer probed. */
  | { type: 'health'; id: number; healthy: boolean | null }
  /** What the primary's puller refused last (workers only ever see snapshots it applied). */
  | { type: 'refused'; refused: Refusal | null }
  | { type: 'close' }
/** What every worker is started with (FADO_EDGE_OPTIONS). */
export type WorkerOptions = EdgeServerOptions & {
  quiet: boolean
  logFormat: LogFormat
  /** Count invocations for the primary's metrics port. */
  metrics: boolean
}

export type FromWorker =
  | { type: 'ready'; port: number }
  /** Every second: the worker's status, and the invocations it counted since the last one. */
  | { type: 'status'; status: EdgeStatus; stats?: StatsEntry[] }

export interface EdgeWorkers {
  url: string
  /** GET here for Prometheus metrics; undefined when not asked for. */
  metricsUrl: string | undefined
  workers: number
  /** Hands a snapshot to every worker (and to workers started later). */
  offer(snapshot: RouteSnapshot): void
  /** Tells every worker what the puller refused last, for their /_fado/status. */
  refused(refused: Refusal | undefined): void
  /** Every worker's report merged: the version all serve, each upstream as the workers see it. */
  status(): EdgeStatus & { workers: number }
  close(): Promise<void>
}

/** A port to share: a fixed one, or a free one picked here (workers asking for 0 would each get their own). */
async function concretePort(host: string, port: number): Promise<number> {
  if (port !== 0) return port
  return new Promise((resolve, reject) => {
    const probe = net.createServer()
    probe.once('error', reject)
    probe.listen(0, host, () => {
      const { port: picked } = probe.address() as net.AddressInfo
      probe.close(() => resolve(picked))
    })
  })
}

export async function startEdgeWorkers(
  opts: EdgeServerOptions & {
    workers: number
    log: Logger
    quiet?: boolean
    logFormat?: LogFormat
    /** Serve Prometheus metrics here (the workers' summed, plus the primary's). */
    metrics?: { host: string; port: number } | undefined
    /** Invocation figures the workers counted (each second), for control's charts. */
    onStats?: ((entries: StatsEntry[]) => void) | undefined
  },
): Promise<EdgeWorkers> {
  const port = await concretePort(opts.host, opts.port)
  const env = {
    FADO_EDGE_OPTIONS: JSON.stringify({
      host: opts.host,
      port,
      connectTimeoutMs: opts.connectTimeoutMs,
      upstreamTimeoutMs: opts.upstreamTimeoutMs,
      trustedProxies: opts.trustedProxies,
      statusTokenHash: opts.statusTokenHash,
      headerTimeoutMs: opts.headerTimeoutMs,
      // Each worker takes its share of a client's connections (the kernel spreads them).
      maxClientConnections:
        opts.maxClientConnections === undefined || opts.maxClientConnections === 0
          ? opts.maxClientConnections
          : Math.ceil(opts.maxClientConnections / Math.max(1, opts.workers)),
      tls: opts.tls,
      zone: opts.zone,
      quiet: opts.quiet ?? false,
      logFormat: opts.logFormat ?? 'text',
      metrics: opts.metrics !== undefined,
    } satisfies WorkerOptions),
  }
  cluster.schedulingPolicy = cluster.SCHED_NONE
  cluster.setupPrimary({
    exec: builtScript('edge-worker.mjs'),
    args: [],
    // The workers need neither the parent's loaders nor its flags; a small young generation
    // keeps each one lean.
    execArgv: ['--max-semi-space-size=2'],
  })
  const statuses = new Map<number, EdgeStatus>()
  const live = new Set<Worker>()
  let latest: RouteSnapshot | undefined
  let closing = false
  let restarts = 0
  const probes = new Map<number, boolean>()
  let lastRefusal: Refusal | null = null
  const broadcast = (message: FromPrimary) => {
    for (const worker of live) worker.send(message)
  }
  const stopProber = startProber({
    current: () => latest,
    onChange: (id, healthy) => {
      const before = probes.get(id)
      if (healthy === null) probes.delete(id)
      else probes.set(id, healthy)
      if (healthy === false) opts.log.warn('upstream fails its health check', { upstream: id })
      else if (healthy && before === false)
        opts.log.info('upstream passes its health check again', { upstream: id })
      broadcast({ type: 'health', id, healthy })
    },
  })

  const fork = (slot: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const worker = cluster.fork(env)
      live.add(worker)
      let ready = false
      worker.on('message', (message: FromWorker) => {
        if (message.type === 'ready') {
          ready = true
          if (latest) worker.send({ type: 'snapshot', snapshot: latest } satisfies FromPrimary)
          for (const [id, healthy] of probes)
            worker.send({ type: 'health', id, healthy } satisfies FromPrimary)
          if (lastRefusal)
            worker.send({ type: 'refused', refused: lastRefusal } satisfies FromPrimary)
          resolve()
        } else if (message.type === 'status') {
          statuses.set(slot, message.status)
          if (message.stats?.length) opts.onStats?.(message.stats)
        }
      })
      worker.on('exit', (code, signal) => {
        live.delete(worker)
        statuses.delete(slot)
        if (!ready)
          return reject(new Error(`edge worker exited before serving (${code ?? signal})`))
        if (closing) return
        restarts++
        const delay = Math.min(5_000, 100 * 2 ** Math.min(restarts, 6))
        opts.log.warn('edge worker died; starting another', {
          exit: code ?? signal,
          restart_in_ms: delay,
        })
        setTimeout(() => void fork(slot).catch(() => {}), delay).unref()
      })
    })

  await Promise.all(Array.from({ length: opts.workers }, (_, slot) => fork(slot)))
  const status = () => mergeStatus([...statuses.values()], opts.workers)
  const metricsServer = opts.metrics
    ? await startMetricsServer({
        ...opts.metrics,
        status,
        snapshot: () => latest,
        zone: opts.zone,
      })
    : undefined
  const urlHost = opts.host.includes(':') ? `[${opts.host}]` : opts.host
  return {
    url: `http://${urlHost}:${port}`,
    metricsUrl: metricsServer?.url,
    workers: opts.workers,
    offer(snapshot) {
      latest = snapshot
      broadcast({ type: 'snapshot', snapshot })
    },
    refused(refused) {
      lastRefusal = refused ?? null
      broadcast({ type: 'refused', refused: lastRefusal })
    },
    status,
    async close() {
      closing = true
      stopProber()
      await metricsServer?.close()
      await Promise.all(
        [...live].map(
          (worker) =>
            new Promise<void>((resolve) => {
              const force = setTimeout(() => worker.process.kill('SIGKILL'), 10_000)
              worker.once('exit', () => {
                clearTimeout(force)
                resolve()
              })
              worker.send({ type: 'close' } satisfies FromPrimary)
            }),
        ),
      )
    },
  }
}

/** One report for all workers: the oldest version any serves, each upstream as all see it. */
export function mergeStatus(
  reports: EdgeStatus[],
  workers: number,
): EdgeStatus & { workers: number } {
  const oldest = reports.reduce<EdgeStatus | undefined>(
    (min, r) => (min === undefined || r.snapshot_version < min.snapshot_version ? r : min),
    undefined,
  )
  const byId = new Map<number, EdgeStatus['upstreams'][number][]>()
  for (const r of reports) {
    for (const u of r.upstreams) byId.set(u.id, [...(byId.get(u.id) ?? []), u])
  }
  const upstreams = [...byId.entries()]
    .sort(([a], [b]) => a - b)
    .map(([id, views]) => {
      const latencies = views.flatMap((v) => (v.latency_ms === null ? [] : [v.latency_ms]))
      const ejected = views.flatMap((v) => (v.ejected_until === null ? [] : [v.ejected_until]))
      const probe = views.some((v) => v.probe === 'unhealthy')
        ? ('unhealthy' as const)
        : views.some((v) => v.probe === 'healthy')
          ? ('healthy' as const)
          : null
      return {
        id,
        inflight: views.reduce((sum, v) => sum + v.inflight, 0),
        latency_ms: latencies.length
          ? Math.round((latencies.reduce((a, b) => a + b, 0) / latencies.length) * 10) / 10
          : null,
        healthy: views.every((v) => v.healthy),
        consecutive_failures: Math.max(...views.map((v) => v.consecutive_failures)),
        ejected_until: ejected.sort().at(-1) ?? null,
        probe,
      }
    })
  return {
    zone: oldest?.zone ?? null,
    snapshot_version: oldest?.snapshot_version ?? 0,
    lineage: oldest?.lineage ?? null,
    generated_at: oldest?.generated_at ?? null,
    applied_at: oldest?.applied_at ?? null,
    refused: reports.find((r) => r.refused)?.refused ?? null,
    match_header: oldest?.match_header ?? null,
    routes: oldest?.routes ?? 0,
    retry_budget_tokens: reports.reduce((sum, r) => sum + (r.retry_budget_tokens ?? 0), 0),
    upstreams,
    workers,
  }
}
