/**
 * Entry of one Node edge worker process (bundled as dist/edge-worker.mjs), forked by
 * node-workers.ts. It serves invocations on the port the workers share, takes route snapshots
 * from its primary over IPC, and reports its status there every second. What it knows of
 * upstreams (health, latency, in flight, policy counters) is its own: workers do not share it.
 */
import cluster from 'node:cluster'
import { createLogger } from './log.js'
import { bothMetrics, InvocationStats } from './invocation-stats.js'
import { workerMetrics } from './node-metrics.js'
import { startEdge } from './node.js'
import type { FromPrimary, FromWorker, WorkerOptions } from './node-workers.js'

const send = (message: FromWorker) => process.send?.(message)

async function main() {
  if (!cluster.isWorker) throw new Error('edge-worker runs as a worker of fado edge or standalone')
  const options = JSON.parse(process.env.FADO_EDGE_OPTIONS ?? '{}') as WorkerOptions
  const log = createLogger(undefined, options.quiet, options.logFormat)
  // Counted for the admin page's charts always, for Prometheus when a metrics port is asked for.
  const stats = new InvocationStats()
  const edge = await startEdge({
    ...options,
    log,
    metrics: bothMetrics(options.metrics ? workerMetrics() : undefined, stats),
  })
  const report = () => send({ type: 'status', status: edge.status(), stats: stats.drain() })
  process.on('message', (message: FromPrimary) => {
    if (message.type === 'snapshot') {
      // The primary has applied the lineage and version rules already: a worker takes what it is
      // given (provisional: the next one replaces it whatever its version).
      const result = edge.store.offer(message.snapshot, { provisional: true })
      if (!result.applied && !/not newer/.test(result.reason))
        log.warn('refused route snapshot; keeping the last good one', { reason: result.reason })
      report()
    } else if (message.type === 'refused') {
      edge.store.noteRefusal(message.refused ?? undefined)
    } else if (message.type === 'health') {
      edge.upstreams.setProbe(message.id, message.healthy)
    } else if (message.type === 'close') {
      void edge.close().finally(() => process.exit(0))
    }
  })
  const timer = setInterval(report, 1_000)
  timer.unref()
  send({ type: 'ready', port: edge.server.port })
}

main().catch((err: unknown) => {
  process.stderr.write(`fado edge worker: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exit(1)
})
