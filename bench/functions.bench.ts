/**
 * What function-aware routing costs the edge (issue 15): one edge process (bench/edge-server.ts,
 * `startEdge` as each `fado edge` worker runs it) holding a snapshot of 10,000 buckets and 10,000
 * functions (each with a trigger on all three upstreams), under `wrk -t1 -c50`, in modes:
 *   plain        X-FaDO-Bucket only (routing as before functions existed),
 *   function     + X-FaDO-Function (trigger lookup, the trigger's URL),
 *   fn + zones   + X-FaDO-Zones (a zone check per candidate),
 *   two buckets  X-FaDO-Bucket: a, b (both held by every cluster: full placement).
 * The edge is pinned to CPU 0, nginx and wrk to CPU 1 (taskset), so they do not take turns on one
 * core. Edge CPU per request = CPU time the edge process used during a run / requests served.
 * Each mode's run sits next to a plain run (order alternating by round) and the figure is the
 * median of those paired ratios: this 2-vCPU VM's speed drifts by up to 2× from one minute to the
 * next, which pairs cancel. Also measured in-process, where no network noise enters: the routing
 * decision alone (decideRoute, ns per call) per mode on the same snapshot, and the time to apply
 * (parse + validate + index + swap) the 10k × 10k snapshot against 10k buckets alone.
 *
 *   npm run bench:functions     (needs wrk, nginx, taskset: apt-get install -y wrk nginx util-linux)
 * Writes bench/results/functions.json.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { PolicyStates } from '../edge/policy-state.js'
import { decideRoute } from '../edge/routing.js'
import { SnapshotStore } from '../edge/snapshot-store.js'
import { freePort, waitFor } from '../test/helpers/ports.js'
import { benchSnapshot } from './bench-snapshot.js'
import {
  processCpuSeconds,
  processes,
  requireTools,
  runWrk,
  startUpstreamPorts,
  type Starter,
  type WrkResult,
} from './lib.js'

const DURATION = Number(process.env.DURATION ?? 5)
const ROUNDS = Number(process.env.ROUNDS ?? 6)
const SIZE = 10_000
const EDGE_CPU = '0'
const LOAD_CPU = '1'
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fado-bench-functions-'))
const { start, output, stop, children } = processes()

/** The same starter, the process bound to `cpus` (taskset execs it: the pid stays). */
const pinned =
  (cpus: string): Starter =>
  (cmd, args, name, env) =>
    start('taskset', ['-c', cpus, cmd, ...args], name, env)

async function startEdgeProcess(functions: number, upstreams: string[]) {
  const port = await freePort()
  const proc = pinned(EDGE_CPU)(
    process.execPath,
    ['--import', 'tsx', 'bench/edge-server.ts', String(port), String(SIZE), ...upstreams],
    `edge (${SIZE} routes, ${functions} functions)`,
    { ...process.env, FUNCTIONS: String(functions) },
  )
  await waitFor('edge ready', async () => output(proc).includes('"ready":true'), 120_000)
  const info = JSON.parse(
    output(proc)
      .split('\n')
      .find((l) => l.includes('"ready"')) ?? '{}',
  ) as Record<string, number>
  return { url: `http://127.0.0.1:${port}/`, pid: proc.pid as number, info }
}

const last = SIZE - 1
const MODES: { mode: string; headers: string[] }[] = [
  { mode: 'plain', headers: [`X-FaDO-Bucket: bucket-${last}`] },
  { mode: 'function', headers: [`X-FaDO-Bucket: bucket-${last}`, `X-FaDO-Function: fn-${last}`] },
  {
    mode: 'fn + zones',
    headers: [
      `X-FaDO-Bucket: bucket-${last}`,
      `X-FaDO-Function: fn-${last}`,
      'X-FaDO-Zones: zone-a',
    ],
  },
  { mode: 'two buckets', headers: [`X-FaDO-Bucket: bucket-${last}, bucket-0`] },
]

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number

/** ns per routing decision for each mode, in this process, on the same snapshot. */
function decisionCost(upstreams: string[]) {
  const store = new SnapshotStore()
  const applied = store.offer(JSON.parse(JSON.stringify(benchSnapshot(SIZE, SIZE, upstreams))))
  if (!applied.applied) throw new Error(applied.reason)
  const N = 200_000
  const ns = MODES.map((): number[] => [])
  for (let round = 0; round < 7; round++)
    for (const [i, m] of MODES.entries()) {
      const headers = new Map(
        m.headers.map((h) => [
          h.slice(0, h.indexOf(':')).toLowerCase(),
          h.slice(h.indexOf(':') + 1).trim(),
        ]),
      )
      const header = (name: string) => headers.get(name.toLowerCase())
      const policies = new PolicyStates()
      const t0 = process.hrtime.bigint()
      for (let k = 0; k < N; k++)
        if (!decideRoute(store, policies, header).ok) throw new Error(m.mode)
      ns[i]!.push(Number(process.hrtime.bigint() - t0) / N)
    }
  return MODES.map((m, i) => ({ mode: m.mode, ns_per_decision: Math.round(median(ns[i]!)) }))
}

async function main() {
  await requireTools(['wrk', 'nginx', 'taskset'])
  try {
    const upstreams = await startUpstreamPorts(pinned(LOAD_CPU), dir, 3)
    const bare = await startEdgeProcess(0, upstreams)
    const edge = await startEdgeProcess(SIZE, upstreams)
    await stop(children.find((c) => c.pid === bare.pid)!)
    type Run = WrkResult & { cpu_us: number }
    const measure = async (headers: string[]): Promise<Run> => {
      const cpu0 = processCpuSeconds(edge.pid)
      const r = await runWrk(edge.url, headers, DURATION, 50, LOAD_CPU)
      const cpu = processCpuSeconds(edge.pid) - cpu0
      return { ...r, cpu_us: +((cpu / r.requests) * 1e6).toFixed(1) }
    }
    for (const m of MODES) await runWrk(edge.url, m.headers, 2, 50, LOAD_CPU) // warm-up
    const plain = MODES[0]!.headers
    const pairs = MODES.map((): { plain: Run; mode: Run }[] => [])
    for (let round = 0; round < ROUNDS; round++)
      for (const [i, m] of MODES.entries()) {
        if (i === 0) continue
        const plainFirst = round % 2 === 0
        const a = await measure(plainFirst ? plain : m.headers)
        const b = await measure(plainFirst ? m.headers : plain)
        const pair = plainFirst ? { plain: a, mode: b } : { plain: b, mode: a }
        pairs[i]!.push(pair)
        console.error(
          `${m.mode}: ${pair.mode.cpu_us} µs vs plain ${pair.plain.cpu_us} µs CPU/req (${pair.mode.rps} vs ${pair.plain.rps} req/s, ${pair.mode.errors + pair.plain.errors} errors)`,
        )
      }
    const allPlain = pairs.flat().map((p) => p.plain)
    const rows = MODES.map((m, i) => {
      const runs = i === 0 ? allPlain : pairs[i]!.map((p) => p.mode)
      const ratios = pairs[i]!.map((p) => p.mode.cpu_us / p.plain.cpu_us)
      return {
        mode: m.mode,
        headers: m.headers,
        cpu_us_per_request: median(runs.map((r) => r.cpu_us)),
        cpu_vs_plain_paired: i === 0 ? 1 : +median(ratios).toFixed(3),
        paired_ratios: ratios.map((r) => +r.toFixed(3)),
        rps: median(runs.map((r) => r.rps)),
        p99_ms: median(runs.map((r) => r.p99_ms)),
        errors: runs.reduce((a, r) => a + r.errors, 0),
      }
    })
    const decisions = decisionCost(upstreams)
    const plainNs = decisions[0]!.ns_per_decision
    const plainRequestNs = rows[0]!.cpu_us_per_request * 1000
    const decision = decisions.map((d) => ({
      ...d,
      extra_ns: d.ns_per_decision - plainNs,
      extra_share_of_a_plain_request: +((d.ns_per_decision - plainNs) / plainRequestNs).toFixed(4),
    }))
    const result = {
      machine: `${os.availableParallelism()} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Linux ${os.release()}, node ${process.version}`,
      date: new Date().toISOString(),
      setup: `one edge process on CPU ${EDGE_CPU}; nginx (3 upstream ports, one worker) and wrk -t1 -c50 -d${DURATION}s on CPU ${LOAD_CPU}; ${SIZE} buckets × ${SIZE} functions; ${ROUNDS} rounds of (plain, mode) pairs`,
      apply: { routes_only: bare.info, routes_and_functions: edge.info },
      rows,
      decision,
    }
    fs.mkdirSync('bench/results', { recursive: true })
    fs.writeFileSync('bench/results/functions.json', JSON.stringify(result, null, 2) + '\n')
    console.log(
      JSON.stringify(
        { apply: result.apply, rows: rows.map(({ headers: _headers, ...r }) => r), decision },
        null,
        2,
      ),
    )
  } finally {
    for (const c of children) await stop(c)
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

await main()
