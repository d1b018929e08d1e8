/**
 * Is the standalone edge slowed by control's work? `fado standalone` (the real bin, embedded
 * database) tracks a MinIO bucket of 100,000 objects with a replica; invocations for that bucket
 * go to an nginx upstream. wrk measures the edge's latency idle, then while control is as busy as
 * the found case made it: five admin-page tabs polling as the page does (/api/resources every 2 s
 * and the bucket's objects page) and full reconcile passes over the 100k-object bucket back to
 * back. Rounds alternate idle (control at rest: under 0.1 core for a second) / busy; p99 is compared
 * within each round, and the control process's CPU is reported for both.
 *
 *   npm run bench:edge-isolation      (needs wrk and nginx; COUNT=20000 for a quick run)
 * Writes bench/results/edge-isolation.json and prints a Markdown table.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { MINIO_PASSWORD, MINIO_USER, startMinio } from '../test/helpers/minio.js'
import { waitFor } from '../test/helpers/ports.js'
import { startStandalone } from './fado.js'
import { fillBucket, s3Of } from '../test/helpers/storage.js'
import {
  cpuSeconds,
  processCpuSeconds,
  processes,
  requireTools,
  runWrk,
  startUpstream,
  type WrkResult,
} from './lib.js'

const COUNT = Number(process.env.COUNT ?? 100_000)
const ROUNDS = Number(process.env.ROUNDS ?? 3)
const SECONDS = Number(process.env.SECONDS ?? 10)
const TOKEN = 'bench-edge-isolation-token-01'

async function main() {
  await requireTools(['wrk', 'nginx'])
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fado-edge-isolation-'))
  const { start, stop, children } = processes()
  const [master, replica] = [await startMinio(), await startMinio()]
  try {
    await s3Of(master).makeBucket('huge')
    await fillBucket(master, 'huge', COUNT)
    const upstream = await startUpstream(start, dir, 1)
    const fado = await startStandalone(start, dir, TOKEN)
    const { api, json } = fado
    const cluster = (await json('POST', '/api/clusters', { name: 'site' })).cluster_id
    const track = (m: typeof master, alias: string) =>
      json('POST', '/api/storage-deployments', {
        alias,
        cluster_id: cluster,
        endpoint: m.endpoint,
        access_key: MINIO_USER,
        secret_key: MINIO_PASSWORD,
      })
    await track(master, 'master')
    const rep = await track(replica, 'replica')
    await json('POST', '/api/faas-deployments', { cluster_id: cluster, url: upstream.url })
    const bucket = async () =>
      (await json('GET', '/api/buckets')).find((b: { name: string }) => b.name === 'huge')
    await waitFor(
      'the bucket to be indexed',
      async () => (await bucket())?.object_count === COUNT,
      600_000,
    )
    const id = (await bucket()).bucket_id
    await json('PUT', `/api/buckets/${id}`, { replica_locations: [rep.storage_id] })
    await waitFor(
      'the replica to be synced',
      async () => (await bucket())?.replicas?.[0]?.status === 'synced',
      1_800_000,
    )
    const edge = `${fado.edgeUrl}/`
    await waitFor(
      'the route',
      async () => (await fetch(edge, { headers: { 'X-FaDO-Bucket': 'huge' } })).ok,
    )

    /** Five admin-page tabs and back-to-back full passes over the bucket, until stopped. */
    const busy = () => {
      let running = true
      let passes = 0
      let polls = 0
      const tab = async () => {
        let etag = ''
        while (running) {
          const res = await api(
            'GET',
            '/api/resources',
            undefined,
            etag ? { 'if-none-match': etag } : {},
          )
          etag = res.headers.get('etag') ?? etag
          await res.arrayBuffer()
          await (await api('GET', '/api/objects?bucket=huge&limit=50')).arrayBuffer()
          polls++
          await new Promise((r) => setTimeout(r, 2_000))
        }
      }
      const reconcile = async () => {
        while (running) {
          // A policy write schedules a full pass: master listing + index + replica diff.
          await api('PUT', `/api/buckets/${id}`, { zones: passes % 2 ? [] : ['x'] })
          passes++
          await new Promise((r) => setTimeout(r, 500))
        }
      }
      const loops = [...Array.from({ length: 5 }, tab), reconcile()]
      return {
        async stop() {
          running = false
          await Promise.all(loops)
          return { passes, polls }
        },
      }
    }

    // The control process alone (its edge workers are its children, counted apart).
    const controlPid = fado.proc.pid as number
    const controlCpu = () => processCpuSeconds(controlPid)
    const edgeCpu = () => cpuSeconds([controlPid]) - controlCpu()
    const during = async (fn: () => Promise<WrkResult>) => {
      const [c0, e0] = [controlCpu(), edgeCpu()]
      const result = await fn()
      return {
        ...result,
        control_cpu_share: +((controlCpu() - c0) / SECONDS).toFixed(2),
        edge_cpu_share: +((edgeCpu() - e0) / SECONDS).toFixed(2),
      }
    }
    const rounds: {
      idle: WrkResult & { control_cpu_share: number; edge_cpu_share: number }
      busy: WrkResult & { control_cpu_share: number; edge_cpu_share: number }
      passes: number
      polls: number
    }[] = []
    /** Until control has done (almost) nothing for a second: passes left from a busy round end. */
    const rest = async () => {
      for (let i = 0; i < 180; i++) {
        const c0 = controlCpu()
        await new Promise((res) => setTimeout(res, 1_000))
        if (controlCpu() - c0 < 0.1) return
      }
      throw new Error('control never came to rest')
    }
    for (let r = 0; r < ROUNDS; r++) {
      await rest()
      const idle = await during(() => runWrk(edge, 'X-FaDO-Bucket: huge', SECONDS, 10))
      const load = busy()
      await new Promise((res) => setTimeout(res, 2_000))
      const loaded = await during(() => runWrk(edge, 'X-FaDO-Bucket: huge', SECONDS, 10))
      const { passes, polls } = await load.stop()
      rounds.push({ idle, busy: loaded, passes, polls })
      console.error(
        `round ${r + 1}: idle p99 ${idle.p99_ms} ms, busy p99 ${loaded.p99_ms} ms (${passes} pass requests, ${polls} page polls, control ${loaded.control_cpu_share} cores)`,
      )
    }
    const result = {
      date: new Date().toISOString(),
      machine: `${os.cpus().length} vCPU ${os.cpus()[0]?.model}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
      objects: COUNT,
      wrk: `wrk -t1 -c10 -d${SECONDS}s`,
      rounds,
    }
    fs.mkdirSync('bench/results', { recursive: true })
    fs.writeFileSync('bench/results/edge-isolation.json', JSON.stringify(result, null, 2) + '\n')
    console.log(
      '| round | idle req/s | idle p50 | idle p99 | busy req/s | busy p50 | busy p99 | p99 difference | control CPU idle / busy (cores) | pass requests | page polls |',
    )
    console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |')
    rounds.forEach((x, i) =>
      console.log(
        `| ${i + 1} | ${x.idle.rps} | ${x.idle.p50_ms} ms | ${x.idle.p99_ms} ms | ${x.busy.rps} | ${x.busy.p50_ms} ms | ${x.busy.p99_ms} ms | ${(x.busy.p99_ms - x.idle.p99_ms).toFixed(2)} ms | ${x.idle.control_cpu_share} / ${x.busy.control_cpu_share} | ${x.passes} | ${x.polls} |`,
      ),
    )
  } finally {
    for (const child of children) await stop(child)
    await Promise.all([master, replica].map((m) => m.destroy()))
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

await main()
