/**
 * What data-aware placement buys (issue 6): a function reading a 10 MiB object, invoked
 *  (a) through FaDO with data-aware routing (to the cluster holding the bucket),
 *  (b) through FaDO data-oblivious (round robin over every FaaS endpoint: the same edge, only
 *      placement differs, so two of three calls read across a WAN link),
 *  (c) directly at the function server of the right cluster (the floor),
 *  (d) through FaDO naming the function (`X-FaDO-Function: resize`, deployed at /function/resize
 *      on hpc and at a URL of its own on cloud-2): function-aware placement must reach cloud-2
 *      only (the one cluster with both the data and the function) at the function's own URL.
 * Platform: `fado demo`'s three clusters, WAN links of WAN_RTT ms and WAN_MBIT Mbit/s.
 * Function servers and the load generator run in processes of their own, apart from FaDO.
 * Same load per mode: REQUESTS calls, CONCURRENCY at a time. Reports p50/p99 latency,
 * throughput and bytes across the WAN per invocation; writes bench/results/placement.json.
 *
 *   npm run bench:placement
 */
import { defaultConfig } from '../control/config.js'
import fs from 'node:fs'
import os from 'node:os'
import { startDemo } from '../platform/demo.js'
import { createLogger } from '../edge/log.js'
import { freePort } from '../platform/ports.js'
import { spawnFunctionServer } from '../platform/function-server-process.js'
import { percentile, runLoad, summarize } from './load-generator.js'

const REQUESTS = Number(process.env.REQUESTS ?? 40)
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 3)
const RTT = Number(process.env.WAN_RTT ?? 20)
const MBIT = Number(process.env.WAN_MBIT ?? 100)

async function main() {
  const demo = await startDemo(
    defaultConfig({
      apiPort: await freePort(),
      edgePort: await freePort(),
      wanRtt: RTT,
      wanMbit: MBIT,
    }),
    createLogger(undefined, true),
    // Function servers in their own processes: each call hashes 10 MiB, which must not hold up
    // the edge's event loop (it would in one process, and bill FaDO for the functions' work).
    { startFunctionServer: spawnFunctionServer },
  )
  const api = (method: string, p: string, body?: unknown) =>
    fetch(`${demo.apiUrl}${p}`, {
      method,
      headers: { authorization: `Bearer ${demo.token}` },
      ...(body ? { body: JSON.stringify(body) } : {}),
    })
  const wanBytes = () => demo.relays.reduce((a, r) => a + r.bytes.toTarget + r.bytes.fromTarget, 0)

  async function run(mode: string, url: string, headers: Record<string, string> = {}) {
    const bytes0 = wanBytes()
    const result = await runLoad({
      url,
      headers: { 'X-FaDO-Bucket': 'ml-models', ...headers },
      vus: CONCURRENCY,
      requests: REQUESTS,
      expectSize: 10 * 1024 * 1024,
    })
    const summary = summarize(result)
    const row = {
      mode,
      requests: REQUESTS,
      failed: summary.failed,
      p50_ms: summary.p50_ms,
      p99_ms: summary.p99_ms,
      mean_ms: summary.mean_ms,
      per_s: summary.per_s,
      wan_mib_per_call: +((wanBytes() - bytes0) / REQUESTS / 2 ** 20).toFixed(2),
      ran_in: summary.ran_in,
    }
    console.error(row)
    return { row, latencies: result.calls.map((c) => c.ms) }
  }

  try {
    const direct = `${demo.clusters['cloud-2']!.fn.url}/function/image?object=big.bin`
    const viaEdge = `${demo.edgeUrl}/function/image?object=big.bin`
    const byFunction = `${demo.edgeUrl}/?object=big.bin`
    const fnHeaders = { 'X-FaDO-Function': 'resize' }
    await run('warm-up', viaEdge)
    await run('warm-up', direct)
    await run('warm-up', byFunction, fnHeaders)
    // Data-aware and direct alternate in batches, so neither gets the warmer machine.
    type Row = Awaited<ReturnType<typeof run>>['row']
    const aware = {
      row: undefined as unknown as Row,
      latencies: [] as number[],
      rates: [] as number[],
    }
    const floor = {
      row: undefined as unknown as Row,
      latencies: [] as number[],
      rates: [] as number[],
    }
    const fnAware = {
      row: undefined as unknown as Row,
      latencies: [] as number[],
      rates: [] as number[],
    }
    for (let batch = 0; batch < 3; batch++) {
      for (const [target, mode, url, headers] of [
        [aware, 'data-aware (FaDO)', viaEdge, {}],
        [fnAware, 'function-aware (FaDO, X-FaDO-Function: resize)', byFunction, fnHeaders],
        [floor, 'direct to the right cluster', direct, {}],
      ] as const) {
        const r = await run(mode, url, headers)
        target.latencies.push(...r.latencies)
        target.rates.push(r.row.per_s)
        target.row = {
          ...r.row,
          ran_in: Object.fromEntries(
            Object.entries(r.row.ran_in).map(([c, n]) => [c, n + (target.row?.ran_in[c] ?? 0)]),
          ),
        }
      }
    }
    const summarize = (row: Row, latencies: number[], rates: number[]) => ({
      ...row,
      per_s: +(rates.reduce((a, b) => a + b, 0) / rates.length).toFixed(2),
      requests: latencies.length,
      p50_ms: +percentile(latencies, 50).toFixed(1),
      p99_ms: +percentile(latencies, 99).toFixed(1),
      mean_ms: +(latencies.reduce((a, b) => a + b, 0) / latencies.length).toFixed(1),
    })
    aware.row = summarize(aware.row, aware.latencies, aware.rates)
    fnAware.row = summarize(fnAware.row, fnAware.latencies, fnAware.rates)
    floor.row = summarize(floor.row, floor.latencies, floor.rates)
    const faasIds = Object.values(demo.clusters).map((c) => c.faas_id)
    await api('PUT', '/api/load-balancer/route-overrides', {
      'ml-models': { policy: 'round_robin', faas_ids: faasIds },
    })
    const oblivious = await run('data-oblivious (round robin over all FaaS)', viaEdge)
    await api('PUT', '/api/load-balancer/route-overrides', {})

    const result = {
      machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}`,
      date: new Date().toISOString(),
      setup: `fado demo platform, function servers and load generator in their own processes; bucket ml-models only on cloud-2; object 10 MiB; WAN links ${RTT} ms RTT, ${MBIT} Mbit/s; ${REQUESTS} calls per batch, ${CONCURRENCY} at a time; data-aware and direct: 3 alternating batches`,
      rows: [aware.row, fnAware.row, oblivious.row, floor.row],
      ratios: {
        oblivious_p50_over_aware_p50: +(oblivious.row.p50_ms / aware.row.p50_ms).toFixed(2),
        aware_p50_over_direct_p50: +(aware.row.p50_ms / floor.row.p50_ms).toFixed(3),
        function_aware_p50_over_aware_p50: +(fnAware.row.p50_ms / aware.row.p50_ms).toFixed(3),
      },
      latencies_ms: {
        aware: aware.latencies,
        function_aware: fnAware.latencies,
        oblivious: oblivious.latencies,
        direct: floor.latencies,
      },
    }
    fs.mkdirSync('bench/results', { recursive: true })
    fs.writeFileSync('bench/results/placement.json', JSON.stringify(result, null, 2) + '\n')
    console.log(JSON.stringify({ ...result, latencies_ms: undefined }, null, 2))
  } finally {
    await demo.close()
  }
}

await main()
process.exit(0)
