/**
 * The FaDO Node edge as its own process for benchmarks: `startEdge` (the same entry `fado edge`
 * uses) fed one generated snapshot (bench-snapshot.ts): ROUTES buckets and FUNCTIONS functions
 * (env, default 0). Prints one JSON line once serving: snapshot apply time (parse + validate +
 * index + swap) and memory.
 *
 *   [FUNCTIONS=n] node --import tsx bench/edge-server.ts PORT ROUTES UPSTREAM_URL...
 */
import { createLogger } from '../edge/log.js'
import { startEdge } from '../edge/node.js'
import { benchSnapshot } from './bench-snapshot.js'

const [portArg, routesArg, ...upstreamUrls] = process.argv.slice(2)
const routes = Number(routesArg ?? 1)
const functions = Number(process.env.FUNCTIONS ?? 0)
const text = JSON.stringify(benchSnapshot(routes, functions, upstreamUrls))

const edge = await startEdge({
  host: '127.0.0.1',
  port: Number(portArg),
  connectTimeoutMs: 2_000,
  upstreamTimeoutMs: 60_000,
  log: createLogger(undefined, true),
})
const rssBefore = process.memoryUsage().rss
const t0 = performance.now()
const result = edge.store.offer(JSON.parse(text)) // what an edge does with a pulled snapshot
const applyMs = performance.now() - t0
if (!result.applied) throw new Error(`snapshot refused: ${result.reason}`)
console.log(
  JSON.stringify({
    ready: true,
    routes,
    functions,
    snapshot_bytes: text.length,
    apply_ms: +applyMs.toFixed(1),
    rss_mb: +(process.memoryUsage().rss / 2 ** 20).toFixed(1),
    rss_delta_mb: +((process.memoryUsage().rss - rssBefore) / 2 ** 20).toFixed(1),
  }),
)
process.on('SIGTERM', () => void edge.close().then(() => process.exit(0)))
