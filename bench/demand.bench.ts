/**
 * Data follows demand (issue 24): three zones (eu, us, asia), each a cluster with a real MinIO and
 * a function server; a `fado edge --zone Z` per zone with its clients; WAN relays (40 ms RTT,
 * 100 Mbit/s) between zones; 20 buckets of 64 KiB to 16 MiB, their masters spread over the zones;
 * each zone's clients pick buckets by a skewed popularity (Zipf, s = ZIPF) of their own that
 * shifts half-way (every zone's ranking rotates by 7). Strategies, each on a fresh platform:
 *   static   master only
 *   all      a replica in every zone (target_replica_count 2), synced before the clients start
 *   demand   replicas on demand (min_rate_per_min MIN_RATE, window 30 s, TTL 60 s, max 2)
 *   all-off  as `all` with locality 'off' (round robin over every copy): what locality alone buys
 * Reported per strategy: p50 / p99 invocation latency, share answered in the edge's zone
 * (X-FaDO-Locality), replica bytes stored over time (GB·h, and the mean), bytes replication
 * moved (control's fado_replication_bytes_total), and for `demand` how long after the shift
 * (and after the start) the local share per 10 s is back at 90 %. With phases longer than the
 * 2 minutes the issue allows for following a shift, the local share and stored bytes are also
 * reported settled: outside the first SETTLE_S seconds of each phase.
 *
 * The WAN: one route snapshot gives every edge the same FaaS URLs, so a link cannot be told apart
 * by address. Each cluster's function server is registered once per zone it is reached from —
 * directly for its own zone, through that pair of zones' relay for the others — and a function
 * `from-Z` has triggers on the entries zone Z's edge should use; zone Z's clients name it
 * (X-FaDO-Function). The edges, routes, placement and locality code are the real ones.
 *
 *   npm run bench:demand     (PHASE_S=150 seconds per half, RATE=15 invocations/s per zone,
 *                             ZIPF=1.3, MIN_RATE=20, SIZE_UNIT=<bytes, 1 GiB>,
 *                             ONLY=static,all,demand,all-off, OUT=demand)
 * Writes bench/results/$OUT.json and prints a Markdown table.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { startFunctionServer, type RunningFunctionServer } from '../platform/function-server.js'
import { startWanRelay, type RunningRelay } from '../platform/wan-relay.js'
import { startMinio, type TestMinio } from '../test/helpers/minio.js'
import { waitFor } from '../test/helpers/ports.js'
import { putBytes, randomData, s3Of, trackBody } from '../test/helpers/storage.js'
import { startFadoEdge, startStandalone, type BenchFado } from './fado.js'
import { processes } from './lib.js'
import { percentile } from './load-generator.js'
import { BUCKETS, buckets, ranking, ZONES, zipfPicker, type Zone } from './demand-workload.js'

const PHASE_S = Number(process.env.PHASE_S ?? 150)
const RATE = Number(process.env.RATE ?? 15)
const ZIPF = Number(process.env.ZIPF ?? 1.3)
const MIN_RATE = Number(process.env.MIN_RATE ?? 20)
/** The demand setting size_unit_bytes: each this many bytes adds MIN_RATE to the threshold. */
const SIZE_UNIT = Number(process.env.SIZE_UNIT ?? 1024 ** 3)
/** Where the results go (another name keeps earlier runs: OUT=demand-unit4m). */
const OUT = process.env.OUT ?? 'demand'
const RTT_MS = 40
/** Seconds after the start and after the shift left out of the settled figures (the issue's bound). */
const SETTLE_S = 120
const ONLY = (process.env.ONLY ?? 'static,all,demand,all-off').split(',')
const TOKEN = 'bench-demand-token-0123456789'
const machine = `${os.cpus().length} vCPU ${os.cpus()[0]?.model}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`
const { start, stop } = processes()

const pick = zipfPicker(ZIPF)

interface Platform {
  fado: BenchFado
  edges: Record<Zone, string>
  close(): Promise<void>
}

async function platform(strategy: string, dir: string): Promise<Platform> {
  const closers: (() => Promise<unknown>)[] = []
  const fado = await startStandalone(start, dir, TOKEN, ['--database', 'memory', '--workers', '1'])
  closers.push(() => stop(fado.proc))
  const minios: Record<string, TestMinio> = {}
  const fns: Record<string, RunningFunctionServer> = {}
  const relays: RunningRelay[] = []
  const clusterIds: Record<string, number> = {}
  const storageIds: Record<string, number> = {}
  for (const zone of ZONES) {
    const minio = await startMinio()
    minios[zone] = minio
    closers.push(() => minio.destroy())
    const cluster = await fado.json('POST', '/api/clusters', { name: zone, zones: [zone] })
    clusterIds[zone] = cluster.cluster_id
    storageIds[zone] = (
      await fado.json(
        'POST',
        '/api/storage-deployments',
        trackBody(minio, `minio-${zone}`, cluster.cluster_id),
      )
    ).storage_id
    const fn = await startFunctionServer({ cluster: zone, storage: s3Of(minio), delayMs: 2 })
    fns[zone] = fn
    closers.push(() => fn.close())
  }
  // Entries: cluster W as reached from zone Z (direct, or through the Z↔W relay).
  const triggers: Record<Zone, { faas_id: number; target: string }[]> = { eu: [], us: [], asia: [] }
  for (const w of ZONES)
    for (const z of ZONES) {
      let url = (fns[w] as RunningFunctionServer).url
      if (z !== w) {
        const relay = await startWanRelay({
          rttMs: RTT_MS,
          mbit: 100,
          target: { host: '127.0.0.1', port: (fns[w] as RunningFunctionServer).port },
        })
        relays.push(relay)
        closers.push(() => relay.close())
        url = `http://${relay.endpoint}`
      }
      const faas = await fado.json('POST', '/api/faas-deployments', {
        cluster_id: clusterIds[w],
        url,
      })
      triggers[z].push({ faas_id: faas.faas_id, target: '/function' })
    }
  for (const z of ZONES)
    await fado.json('POST', '/api/functions', {
      name: `from-${z}`,
      zones: [],
      triggers: triggers[z],
    })
  await fado.json('PUT', '/api/load-balancer/settings', {
    default_policy: 'round_robin',
    locality: strategy === 'all-off' ? 'off' : 'prefer',
  })
  const demand = {
    min_rate_per_min: MIN_RATE,
    window_s: 30,
    ttl_s: 60,
    max_replicas: 2,
    size_unit_bytes: SIZE_UNIT,
  }
  for (const b of buckets) {
    await fado.json('POST', '/api/buckets', {
      name: b.name,
      storage_id: storageIds[b.master],
      ...(strategy === 'all' || strategy === 'all-off' ? { target_replica_count: 2 } : {}),
      ...(strategy === 'demand' ? { demand } : {}),
    })
    await putBytes(minios[b.master] as TestMinio, b.name, 'data.bin', randomData(b.bytes))
  }
  const edgeToken = (await fado.json('POST', '/api/tokens', { scope: 'edge', name: 'bench' })).token
  const edges = {} as Record<Zone, string>
  for (const zone of ZONES) {
    const edge = await startFadoEdge(start, path.join(dir, zone), fado.apiUrl, edgeToken, [
      '--zone',
      zone,
      '--workers',
      '1',
    ])
    closers.push(() => stop(edge.proc))
    edges[zone] = edge.url
  }
  // Every bucket indexed (and, for `all`, every replica synced) before the clients start.
  await waitFor(
    'buckets ready',
    async () => {
      const list = (await fado.json('GET', '/api/buckets')) as {
        object_count: number
        replicas: { status: string }[]
      }[]
      return (
        list.length === BUCKETS &&
        list.every(
          (b) =>
            b.object_count === 1 &&
            (strategy.startsWith('all')
              ? b.replicas.length === 2 && b.replicas.every((r) => r.status === 'synced')
              : true),
        )
      )
    },
    300_000,
  )
  for (const zone of ZONES)
    await waitFor(`edge ${zone} serving`, async () => {
      const res = await fetch(`${edges[zone]}/nodeinfo`, {
        headers: { 'X-FaDO-Bucket': 'b00', 'X-FaDO-Function': `from-${zone}` },
      })
      await res.arrayBuffer()
      return res.status === 200
    })
  return {
    fado,
    edges,
    close: async () => {
      for (const c of closers.reverse()) await c().catch(() => {})
    },
  }
}

interface Call {
  at: number
  zone: Zone
  ms: number
  ok: boolean
  local: boolean
}

async function measure(strategy: string) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `fado-bench-demand-${strategy}-`))
  const p = await platform(strategy, dir)
  const calls: Call[] = []
  const storedSamples: { at: number; bytes: number }[] = []
  const t0 = performance.now()
  const end = t0 + 2 * PHASE_S * 1000
  const sizes = new Map(buckets.map((b) => [b.name, b.bytes]))
  const sampler = setInterval(() => {
    void p.fado
      .json('GET', '/api/buckets')
      .then((list: { name: string; replicas: { status: string }[] }[]) => {
        const bytes = list.reduce((n, b) => n + b.replicas.length * (sizes.get(b.name) ?? 0), 0)
        storedSamples.push({ at: (performance.now() - t0) / 1000, bytes })
      })
      .catch(() => {})
  }, 5_000)
  const inflight = new Set<Promise<void>>()
  const zoneLoop = async (zone: Zone) => {
    const interval = 1000 / RATE
    for (let next = performance.now(); next < end; next += interval) {
      const wait = next - performance.now()
      if (wait > 0) await new Promise((r) => setTimeout(r, wait))
      const shifted = performance.now() - t0 >= PHASE_S * 1000
      const bucket = pick(ranking(zone, shifted))
      const started = performance.now()
      const call = fetch(`${p.edges[zone]}/nodeinfo`, {
        headers: { 'X-FaDO-Bucket': bucket, 'X-FaDO-Function': `from-${zone}` },
        signal: AbortSignal.timeout(10_000),
      })
        .then(async (res) => {
          await res.arrayBuffer()
          calls.push({
            at: (started - t0) / 1000,
            zone,
            ms: performance.now() - started,
            ok: res.status === 200,
            local: res.headers.get('x-fado-locality') === 'local',
          })
        })
        .catch(() => {
          calls.push({
            at: (started - t0) / 1000,
            zone,
            ms: performance.now() - started,
            ok: false,
            local: false,
          })
        })
        .finally(() => inflight.delete(call))
      inflight.add(call)
    }
  }
  await Promise.all(ZONES.map(zoneLoop))
  await Promise.all(inflight)
  clearInterval(sampler)
  const metrics = await (await p.fado.api('GET', '/metrics')).text()
  const moved = Number(
    /fado_replication_bytes_total\{via="control"\} (\d+)/.exec(metrics)?.[1] ?? 0,
  )
  await p.close()
  fs.rmSync(dir, { recursive: true, force: true })

  const ok = calls.filter((c) => c.ok)
  const ms = ok.map((c) => c.ms).sort((a, b) => a - b)
  // GB·h: stored bytes integrated over the run (5 s samples).
  let gbh = 0
  for (let i = 1; i < storedSamples.length; i++) {
    const a = storedSamples[i - 1] as { at: number; bytes: number }
    const b = storedSamples[i] as { at: number; bytes: number }
    gbh += (((a.bytes + b.bytes) / 2) * (b.at - a.at)) / 3600 / 1e9
  }
  const meanStored =
    storedSamples.reduce((n, s) => n + s.bytes, 0) / Math.max(1, storedSamples.length)
  // Local share per 10 s slot, and when it is back at 90 % after the start and after the shift.
  const slots: number[] = []
  for (let s = 0; s < (2 * PHASE_S) / 10; s++) {
    const inSlot = calls.filter((c) => c.at >= s * 10 && c.at < (s + 1) * 10)
    slots.push(inSlot.length ? inSlot.filter((c) => c.local).length / inSlot.length : 0)
  }
  const reached = (fromS: number) => {
    const i = slots.findIndex((share, s) => s * 10 >= fromS && share >= 0.9)
    return i === -1 ? null : (i + 1) * 10 - fromS
  }
  const localShare = ok.filter((c) => c.local).length / Math.max(1, ok.length)
  const settledAt = (at: number) => at % PHASE_S >= SETTLE_S && at < 2 * PHASE_S
  const settled = PHASE_S > SETTLE_S ? ok.filter((c) => settledAt(c.at)) : []
  const settledStored = storedSamples.filter((s) => settledAt(s.at))
  const settledMean =
    settledStored.reduce((n, s) => n + s.bytes, 0) / Math.max(1, settledStored.length)
  return {
    strategy,
    invocations: calls.length,
    failed: calls.length - ok.length,
    p50_ms: Math.round(percentile(ms, 50) * 10) / 10,
    p99_ms: Math.round(percentile(ms, 99) * 10) / 10,
    local_share: Math.round(localShare * 1000) / 1000,
    stored_gb_h: Math.round(gbh * 1e6) / 1e6,
    stored_mean_mb: Math.round(meanStored / 1e5) / 10,
    replication_moved_mb: Math.round(moved / 1e5) / 10,
    settled_local_share: settled.length
      ? Math.round((settled.filter((c) => c.local).length / settled.length) * 1000) / 1000
      : null,
    settled_stored_mean_mb: settled.length ? Math.round(settledMean / 1e5) / 10 : null,
    local_share_per_10s: slots.map((s) => Math.round(s * 100) / 100),
    ninety_after_start_s: reached(0),
    ninety_after_shift_s: reached(PHASE_S),
  }
}

async function main() {
  const results = []
  for (const strategy of ONLY) {
    console.error(`${new Date().toISOString()} ${strategy}…`)
    const r = await measure(strategy)
    console.error(JSON.stringify({ ...r, local_share_per_10s: undefined }))
    results.push(r)
  }
  const out = {
    date: new Date().toISOString(),
    machine,
    setup: {
      zones: ZONES,
      phase_s: PHASE_S,
      rate_per_zone: RATE,
      zipf: ZIPF,
      min_rate_per_min: MIN_RATE,
      size_unit_bytes: SIZE_UNIT,
      rtt_ms: RTT_MS,
      buckets: BUCKETS,
    },
    results,
  }
  fs.mkdirSync('bench/results', { recursive: true })
  fs.writeFileSync(`bench/results/${OUT}.json`, `${JSON.stringify(out, null, 2)}\n`)
  console.log(
    `| strategy | p50 ms | p99 ms | local | stored GB·h | mean stored MB | replication moved MB | 90 % local after start / shift | settled: local, mean stored MB |`,
  )
  console.log('|---|---|---|---|---|---|---|---|---|')
  for (const r of results)
    console.log(
      `| ${r.strategy} | ${r.p50_ms} | ${r.p99_ms} | ${(r.local_share * 100).toFixed(1)} % | ${r.stored_gb_h} | ${r.stored_mean_mb} | ${r.replication_moved_mb} | ${r.ninety_after_start_s ?? '–'} s / ${r.ninety_after_shift_s ?? '–'} s | ${r.settled_local_share === null ? '–' : `${(r.settled_local_share * 100).toFixed(1)} %, ${r.settled_stored_mean_mb}`} |`,
    )
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err)
    process.exit(1)
  },
)
