/**
 * What checking a route snapshot costs the edge, by way of checking it: JSON.parse alone, the
 * edge's hand-written check (edge/snapshot.ts parseSnapshot, what edges run), and the snapshot's
 * zod schema (edge/snapshot-schema.ts, its one description). Snapshots of 1,000, 10,000 and
 * 100,000 routes, three upstreams each (as bench:edge-routes); the median of 15 runs after 5
 * warm-up runs, all in one process, the three interleaved.
 *
 *   npm run bench:snapshot-parse
 * Writes bench/results/snapshot-parse.json and prints a Markdown table.
 */
import fs from 'node:fs'
import os from 'node:os'
import { routeSnapshotSchema } from '../edge/snapshot-schema.js'
import { parseSnapshot } from '../edge/snapshot.js'

const SIZES = [1_000, 10_000, 100_000]
const RUNS = 15
const WARMUP = 5

function snapshotText(routes: number): string {
  const table: Record<string, unknown> = {}
  for (let i = 0; i < routes; i++)
    table[`bucket-${i}`] = {
      policy: 'round_robin',
      upstreams: [1, 2, 3].map((k) => ({
        id: k,
        url: `http://127.0.0.1:${8000 + k}/function`,
        cluster: `cluster-${k}`,
      })),
      bytes: 1_200_000,
    }
  return JSON.stringify({
    lineage: 'b3f0c1d2-0000-4000-8000-000000000001',
    version: 7,
    generated_at: new Date().toISOString(),
    match_header: 'X-FaDO-Bucket',
    function_header: 'X-FaDO-Function',
    default_policy: 'round_robin',
    routes: table,
    settings: {
      retries: 2,
      retry_budget: 0.2,
      hash_balance_factor: 0,
      health_check: null,
      allow_partial: true,
    },
    clusters: { 'cluster-1': { zones: ['a'] }, 'cluster-2': { zones: [] } },
    functions: {},
  })
}

const WAYS = {
  json_parse: (text: string) => JSON.parse(text) as unknown,
  edge_check: (text: string) => parseSnapshot(JSON.parse(text)),
  zod_schema: (text: string) => routeSnapshotSchema.parse(JSON.parse(text)),
}
type Way = keyof typeof WAYS

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number

const rows: { routes: number; bytes: number; ms: Record<Way, number> }[] = []
for (const routes of SIZES) {
  const text = snapshotText(routes)
  const samples: Record<Way, number[]> = { json_parse: [], edge_check: [], zod_schema: [] }
  for (let run = 0; run < WARMUP + RUNS; run++)
    for (const way of Object.keys(WAYS) as Way[]) {
      const t0 = performance.now()
      WAYS[way](text)
      if (run >= WARMUP) samples[way].push(performance.now() - t0)
    }
  const ms = Object.fromEntries(
    (Object.keys(WAYS) as Way[]).map((w) => [w, Math.round(median(samples[w]) * 10) / 10]),
  ) as Record<Way, number>
  rows.push({ routes, bytes: text.length, ms })
}

const result = {
  machine: `${os.availableParallelism()} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Linux ${os.release()}, node ${process.version}`,
  date: new Date().toISOString(),
  runs: `median of ${RUNS} after ${WARMUP} warm-up, interleaved`,
  rows,
}
fs.mkdirSync('bench/results', { recursive: true })
fs.writeFileSync('bench/results/snapshot-parse.json', JSON.stringify(result, null, 2) + '\n')
console.log(`${result.machine}, ${result.date}\n`)
console.log(
  '| routes | JSON | JSON.parse | + edge check | + zod schema | zod ÷ edge (check only) |',
)
console.log('| --- | --- | --- | --- | --- | --- |')
for (const r of rows) {
  const check = (w: Way) => Math.max(0.1, r.ms[w] - r.ms.json_parse)
  console.log(
    `| ${r.routes} | ${(r.bytes / 2 ** 20).toFixed(1)} MiB | ${r.ms.json_parse} ms | ${r.ms.edge_check} ms | ${r.ms.zod_schema} ms | ${(check('zod_schema') / check('edge_check')).toFixed(1)}× |`,
  )
}
