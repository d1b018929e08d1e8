/**
 * The FaDO Node edge as its own process for benchmarks: `startEdge` (the same entry `fado edge`
 * uses) fed one generated snapshot — N buckets, all routed round robin to the given upstreams.
 * Prints one JSON line once serving: snapshot apply time (parse + validate + swap) and memory.
 *
 *   node --import tsx bench/edge-server.ts PORT ROUTES UPSTREAM_URL...
 */
import { createLogger } from '../edge/log.js'
import { startEdge } from '../edge/node.js'
import { DEFAULT_EDGE_SETTINGS, type Route, type RouteSnapshot } from '../edge/snapshot.js'

const [portArg, routesArg, ...upstreamUrls] = process.argv.slice(2)
const routes = Number(routesArg ?? 1)
const upstreams = upstreamUrls.map((url, i) => ({ id: i + 1, url, cluster: `c${i + 1}` }))
const table: Record<string, Route> = {}
for (let i = 0; i < routes; i++) table[`bucket-${i}`] = { policy: 'round_robin', upstreams }
const snapshot: RouteSnapshot = {
  lineage: 'bench',
  settings: DEFAULT_EDGE_SETTINGS,
  version: 1,
  generated_at: new Date().toISOString(),
  match_header: 'X-FaDO-Bucket',
  function_header: 'X-FaDO-Function',
  clusters: {},
  functions: {},
  default_policy: 'round_robin',
  routes: table,
}
const text = JSON.stringify(snapshot)

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
    snapshot_bytes: text.length,
    apply_ms: +applyMs.toFixed(1),
    rss_mb: +(process.memoryUsage().rss / 2 ** 20).toFixed(1),
    rss_delta_mb: +((process.memoryUsage().rss - rssBefore) / 2 ** 20).toFixed(1),
  }),
)
process.on('SIGTERM', () => void edge.close().then(() => process.exit(0)))
