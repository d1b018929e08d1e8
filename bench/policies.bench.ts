/**
 * Load-balancing policies under heterogeneous clusters (issue 6; thesis §7.4, figs. 7.5–7.6).
 * The demo's three clusters, each function server in its own process with its own speed and
 * capacity (PROFILES: service time, parallel slots), bucket `shared-data` held by all three.
 * Closed-loop load (VUS virtual users, SECONDS each, load generator in its own process) on:
 *  - each cluster directly (no FaDO),
 *  - each cluster through FaDO, pinned by a route override (FaDO's own overhead),
 *  - FaDO with round_robin, random, least_conn and fastest over all three.
 * Reports completed requests, mean/p50/p99 latency and where calls ran; writes
 * bench/results/policies.json (bench/plot-policies.ts draws it).
 *
 *   npm run bench:policies
 */
import { defaultConfig } from '../control/config.js'
import fs from 'node:fs'
import os from 'node:os'
import { DEMO_CLUSTERS, startDemo } from '../platform/demo.js'
import { spawnFunctionServer } from '../platform/function-server-process.js'
import { createLogger } from '../edge/log.js'
import { freePort } from '../platform/ports.js'
import { runLoad, summarize, type Call } from './load-generator.js'

const SECONDS = Number(process.env.SECONDS ?? 15)
const VUS = Number(process.env.VUS ?? 16)
/** A fast HPC cluster, a middling cloud, a slow and small cloud. */
const PROFILES: Record<string, { delayMs: number; capacity: number }> = {
  hpc: { delayMs: 20, capacity: 8 },
  'cloud-1': { delayMs: 40, capacity: 4 },
  'cloud-2': { delayMs: 150, capacity: 2 },
}
const POLICIES = ['round_robin', 'random', 'least_conn', 'fastest'] as const
const BUCKET = 'shared-data'
const PATH = '/function/nodeinfo'

async function main() {
  const demo = await startDemo(
    defaultConfig({ apiPort: await freePort(), edgePort: await freePort() }),
    createLogger(undefined, true),
    { startFunctionServer: spawnFunctionServer, profiles: PROFILES },
  )
  const api = async (method: string, p: string, body?: unknown) => {
    const res = await fetch(`${demo.apiUrl}${p}`, {
      method,
      headers: { authorization: `Bearer ${demo.token}` },
      ...(body ? { body: JSON.stringify(body) } : {}),
    })
    if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${await res.text()}`)
  }
  const route = async (policy: string, clusters: string[]) => {
    await api('PUT', '/api/load-balancer/route-overrides', {
      [BUCKET]: { policy, faas_ids: clusters.map((c) => demo.clusters[c]!.faas_id) },
    })
    await new Promise((r) => setTimeout(r, 200)) // the in-process edge applies it at once
  }
  const load = (url: string, seconds = SECONDS) =>
    runLoad({ url, headers: { 'X-FaDO-Bucket': BUCKET }, vus: VUS, seconds })

  const rows: (ReturnType<typeof summarize> & { mode: string; group: string })[] = []
  const timelines: Record<string, [number, number][]> = {}
  const record = (group: string, mode: string, calls: Call[], seconds: number) => {
    const row = { group, mode, ...summarize({ calls, seconds }) }
    rows.push(row)
    // [time s, completed so far] at up to ~400 points, for the cumulative plot (fig. 7.5).
    const done = calls
      .filter((c) => c.ok)
      .map((c) => (c.at + c.ms) / 1000)
      .sort((a, b) => a - b)
    const step = Math.max(1, Math.floor(done.length / 400))
    timelines[mode] = done
      .map((t, i) => [+t.toFixed(3), i + 1] as [number, number])
      .filter(([, n]) => (n - 1) % step === 0 || n === done.length)
    console.error(JSON.stringify(row))
  }

  try {
    const viaEdge = `${demo.edgeUrl}${PATH}`
    await route('round_robin', DEMO_CLUSTERS)
    await load(viaEdge, 3) // warm-up: connections, JIT
    for (const cluster of DEMO_CLUSTERS) {
      const direct = await load(`${demo.clusters[cluster]!.fn.url}${PATH}`)
      record('direct', `direct ${cluster}`, direct.calls, direct.seconds)
      await route('first', [cluster])
      const pinned = await load(viaEdge)
      record('through FaDO', `FaDO → ${cluster}`, pinned.calls, pinned.seconds)
    }
    for (const policy of POLICIES) {
      await route(policy, DEMO_CLUSTERS)
      await load(viaEdge, 2) // let policies with state (fastest's latency) see this mix first
      const r = await load(viaEdge)
      record('policy', policy, r.calls, r.seconds)
    }
    await api('PUT', '/api/load-balancer/route-overrides', {})

    const by = (mode: string) => rows.find((r) => r.mode === mode)!
    const result = {
      machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}`,
      date: new Date().toISOString(),
      setup: `fado demo platform, function servers in their own processes: ${Object.entries(
        PROFILES,
      )
        .map(([c, p]) => `${c} ${p.delayMs} ms × ${p.capacity}`)
        .join(', ')}; ${VUS} VUs closed loop, ${SECONDS} s per mode, GET ${PATH}`,
      rows,
      checks: {
        fastest_completed_over_least_conn: +(
          by('fastest').completed / by('least_conn').completed
        ).toFixed(3),
        least_conn_over_round_robin: +(
          by('least_conn').completed / by('round_robin').completed
        ).toFixed(3),
        least_conn_over_random: +(by('least_conn').completed / by('random').completed).toFixed(3),
        fastest_over_round_robin: +(by('fastest').completed / by('round_robin').completed).toFixed(
          3,
        ),
        fastest_over_random: +(by('fastest').completed / by('random').completed).toFixed(3),
        fado_overhead_p50_ms: Object.fromEntries(
          DEMO_CLUSTERS.map((c) => [
            c,
            +(by(`FaDO → ${c}`).p50_ms - by(`direct ${c}`).p50_ms).toFixed(2),
          ]),
        ),
      },
      timelines,
    }
    fs.mkdirSync('bench/results', { recursive: true })
    // The timelines are long number lists: one compact line per mode keeps the file readable.
    const text = JSON.stringify({ ...result, timelines: {} }, null, 2).replace(
      '"timelines": {}',
      `"timelines": {\n${Object.entries(timelines)
        .map(([mode, points]) => `    ${JSON.stringify(mode)}: ${JSON.stringify(points)}`)
        .join(',\n')}\n  }`,
    )
    fs.writeFileSync('bench/results/policies.json', text + '\n')
    console.log(JSON.stringify({ ...result, timelines: undefined }, null, 2))
  } finally {
    await demo.close()
  }
}

await main()
process.exit(0)
