/**
 * Route scale for the Node edge: one edge process (bench/edge-server.ts, `startEdge` as `fado
 * edge` runs it in each worker) fed a snapshot of 1, 1,000 or 100,000 buckets; reports snapshot
 * apply time (parse + validate + swap), memory, and `wrk -t1 -c50` throughput for the last
 * bucket — a median of three interleaved runs per size, since single runs on 2 shared cores vary.
 *
 *   npm run bench:edge-routes     (needs wrk and nginx: apt-get install -y wrk nginx)
 * Writes bench/results/edge-routes.json.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { freePort, waitFor } from '../test/helpers/ports.js'
import { processes, requireTools, runWrk, startUpstreamPorts, type WrkResult } from './lib.js'

const DURATION = Number(process.env.DURATION ?? 10)
const SIZES = [1, 1_000, 100_000]
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fado-bench-routes-'))
const { start, output, stop, children } = processes()

async function startEdgeProcess(routes: number, upstreams: string[]) {
  const port = await freePort()
  const proc = start(
    process.execPath,
    ['--import', 'tsx', 'bench/edge-server.ts', String(port), String(routes), ...upstreams],
    `edge (${routes} routes)`,
  )
  await waitFor(
    `edge with ${routes} routes`,
    async () => output(proc).includes('"ready":true'),
    120_000,
  )
  const info = JSON.parse(
    output(proc)
      .split('\n')
      .find((l) => l.includes('"ready"')) ?? '{}',
  ) as Record<string, number>
  return { url: `http://127.0.0.1:${port}/`, proc, info }
}

async function main() {
  await requireTools(['wrk', 'nginx'])
  try {
    const upstreams = await startUpstreamPorts(start, dir, 3)
    const edges: Awaited<ReturnType<typeof startEdgeProcess>>[] = []
    for (const routes of SIZES) edges.push(await startEdgeProcess(routes, upstreams))
    const samples = SIZES.map((): WrkResult[] => [])
    for (let round = 0; round < 3; round++)
      for (const [i, routes] of SIZES.entries()) {
        const header = `X-FaDO-Bucket: bucket-${routes - 1}`
        if (round === 0) await runWrk(edges[i]!.url, header, 2)
        samples[i]!.push(await runWrk(edges[i]!.url, header, DURATION))
      }
    const median = (xs: WrkResult[], key: 'rps' | 'p99_ms') =>
      [...xs].sort((a, b) => a[key] - b[key])[1]![key]
    const scale = SIZES.map((routes, i) => ({
      routes,
      ...edges[i]!.info,
      rps: median(samples[i]!, 'rps'),
      p99_ms: median(samples[i]!, 'p99_ms'),
      errors: samples[i]!.reduce((a, r) => a + r.errors, 0),
      runs_rps: samples[i]!.map((r) => r.rps),
    }))
    const result = {
      machine: `${os.availableParallelism()} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Linux ${os.release()}, node ${process.version}`,
      date: new Date().toISOString(),
      wrk: `wrk -t1 -c50 -d${DURATION}s, last bucket of the snapshot, round robin over 3 upstreams`,
      scale,
    }
    fs.mkdirSync('bench/results', { recursive: true })
    fs.writeFileSync('bench/results/edge-routes.json', JSON.stringify(result, null, 2) + '\n')
    console.log(JSON.stringify(result, null, 2))
  } finally {
    for (const c of children) await stop(c)
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

await main()
