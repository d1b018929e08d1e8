/**
 * A million-object bucket, as a user runs FaDO: two MinIO servers holding the same N small objects
 * (64 B; seeded with MinIO's snowball upload), `fado standalone` (the real bin) tracking both, the
 * bucket imported and its replica set. Measured, in order, on each database (embedded PGlite, and
 * a real PostgreSQL server):
 *   - (SEEDED or not) both servers' files read once first, so every run starts with their
 *     metadata in the page cache (its time is reported: how cold the cache was);
 *   - listing alone: master and replica listed by FaDO's own S3 reader, no FaDO running (the limit);
 *   - import: the bucket found on the master and indexed (object_count = N);
 *   - first pass: the replica set; every object already equal there, adopted and recorded;
 *   - steady pass: nothing changed ("Check now"), twice; then once more while the admin API and the
 *     edge are sampled — /api/resources and /api/buckets p50/p99, invocation p50/p99 — and the same
 *     sampled idle;
 *   - a pass after 1,000 objects changed on the master behind FaDO's back (no webhook);
 *   - RSS of the fado processes (control + edge workers): idle and the peak of each step,
 *     watched from a thread of its own (watchPeakMemory), not the one timing the requests;
 *   - how the host's CPUs spent each step and listing (busy, iowait, steal): iowait marks a step
 *     that waited on the disk (a server's metadata no longer in the page cache).
 * PART=seaweed instead: an `s3` master (SeaweedFS, no event stream) of N objects: its import, its
 * listing alone, and how long the s3 poller takes to see a change at the end of the key order
 * (three times), with the default --s3-poll-interval.
 *
 *   npm run bench:million                 (N=1000000 DB=pglite,postgres; needs nginx)
 *   N=200000 DB=pglite npm run bench:million
 *   PART=seaweed N=200000 npm run bench:million
 *   SEEDED=/tmp/fado-minio-a,/tmp/fado-minio-b npm run bench:million   (seeded once, kept, reused)
 * Writes bench/results/million-<db>.json (million-seaweed.json) and prints it.
 */
import { randomUUID } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import { S3Storage } from '../control/storage/s3.js'
import {
  SEAWEED_PASSWORD,
  SEAWEED_USER,
  startSeaweedServer,
  weedPath,
} from '../platform/seaweed-server.js'
import { startMinioServer, type MinioServer } from '../platform/minio-server.js'
import { requireMinio } from '../test/helpers/minio.js'
import { waitFor } from '../test/helpers/ports.js'
import { createDatabase, startPostgres, type TestPostgres } from '../test/helpers/postgres.js'
import { fillBucket, s3Of, trackBody } from '../test/helpers/storage.js'
import { startStandalone, type BenchFado } from './fado.js'
import {
  hostCpuSince,
  hostCpuTicks,
  memoryOf,
  watchPeakMemory,
  processes,
  requireTools,
  run,
  startUpstream,
} from './lib.js'

const N = Number(process.env.N ?? 1_000_000)
const DBS = (process.env.DB ?? 'pglite,postgres').split(',')
const CHUNK = 50_000
const CHANGES = 1_000
const TOKEN = 'bench-million-token-0123456789'
const BUCKET = 'million'

const percentile = (xs: number[], p: number): number => {
  const sorted = [...xs].sort((a, b) => a - b)
  const v = sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0
  return Math.round(v * 100) / 100
}
const perSecond = (ms: number) => Math.round(N / (ms / 1000))
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Times `fn` against `url` back to back until `until` resolves; p50/p99 in ms. */
async function sample(
  call: () => Promise<Response>,
  until: Promise<unknown>,
  gapMs: number,
): Promise<{ n: number; p50_ms: number; p99_ms: number; max_ms: number }> {
  let done = false
  void until.finally(() => (done = true))
  const ms: number[] = []
  while (!done) {
    const t = performance.now()
    const res = await call()
    await res.arrayBuffer()
    if (!res.ok && res.status !== 304) throw new Error(`sampled call answered ${res.status}`)
    ms.push(performance.now() - t)
    await sleep(gapMs)
  }
  return {
    n: ms.length,
    p50_ms: percentile(ms, 50),
    p99_ms: percentile(ms, 99),
    max_ms: percentile(ms, 100),
  }
}

/** The highest PSS (shared pages split between the processes) any peakRss sampled, MB. */
let peakPss = 0
type HostCpu = ReturnType<typeof hostCpuSince>
/**
 * Peak RSS of the fado processes while `fn` runs (watchPeakMemory: RSS every 250 ms, PSS every
 * 2 s), and how the host's CPUs spent that time (iowait: the step waited on the disk).
 */
async function peakRss<T>(pid: number, fn: () => Promise<T>): Promise<[T, number, HostCpu]> {
  const cpu = hostCpuTicks()
  const watch = watchPeakMemory(pid)
  let peak = { rss_mb: 0, pss_mb: 0 }
  const result = await fn().finally(() => (peak = watch.stop()))
  peakPss = Math.max(peakPss, peak.pss_mb)
  return [result, peak.rss_mb, hostCpuSince(cpu)]
}

/** A listing of the bucket: its time, and how the host's CPUs spent it. */
async function listAll(s3: S3Storage): Promise<{ ms: number; host_cpu: HostCpu }> {
  const cpu = hostCpuTicks()
  const t = performance.now()
  let n = 0
  for await (const entry of s3.listObjects(BUCKET)) if (entry.key) n++
  if (n !== N) throw new Error(`listed ${n} objects, expected ${N}`)
  return { ms: performance.now() - t, host_cpu: hostCpuSince(cpu) }
}

const machine = () =>
  `${os.availableParallelism()} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Linux ${os.release()}, node ${process.version}`

async function main() {
  if (process.env.PART === 'seaweed') return seaweedPart()
  await requireTools(['nginx'])
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fado-million-'))
  const { start, stop, children } = processes()
  // SEEDED=<root>,<root>: two servers' directories kept for the next run (seeding takes long);
  // seeded here when they do not exist yet. Otherwise two temporary ones, removed at the end.
  const roots =
    process.env.SEEDED?.split(',') ??
    [0, 1].map(() => fs.mkdtempSync(path.join(os.tmpdir(), 'fado-minio-')))
  if (roots.length !== 2) throw new Error('SEEDED: two directories, master and replica')
  if (!fs.existsSync(path.join(roots[0]!, 'data', BUCKET))) await seedCopies(roots[0]!, roots[1]!)
  const warmUp = await warmPageCache(roots)
  const minios = await Promise.all(
    roots.map((root) => startMinioServer({ bin: requireMinio(), root })),
  )
  let postgres: TestPostgres | undefined
  try {
    const s3 = minios.map((m) => new S3Storage(s3Of(m).conn, { timeoutMs: 600_000 }))
    // MinIO keeps a listing it made for a while (its metacache): the first listing after the
    // servers start pays for building it, the next reads it — a pass runs against the latter.
    const first = { master_ms: await listAll(s3[0]!), replica_ms: await listAll(s3[1]!) }
    const listing = { master_ms: await listAll(s3[0]!), replica_ms: await listAll(s3[1]!) }
    console.error(
      `listing alone: master ${first.master_ms.ms.toFixed(0)} ms first (iowait ${first.master_ms.host_cpu.iowait_pct} %), ${listing.master_ms.ms.toFixed(0)} ms again`,
    )
    const upstream = await startUpstream(start, dir, 1)

    for (const db of DBS) {
      const extra: string[] = []
      if (db === 'postgres') {
        postgres ??= await startPostgres()
        extra.push('--database', await createDatabase(postgres.url, 'fado_million'))
      } else if (db !== 'pglite') throw new Error(`DB: pglite or postgres, not ${db}`)
      const fado = await startStandalone(start, path.join(dir, db), TOKEN, [
        '--full-pass-interval',
        '3600000',
        ...extra,
      ])
      const pid = fado.proc.pid as number
      const result = await measure(fado, pid, minios, upstream.url)
      const out = {
        date: new Date().toISOString(),
        machine: machine(),
        database: db,
        objects: N,
        page_cache_warm_up: warmUp,
        listing_alone: {
          first_master_ms: Math.round(first.master_ms.ms),
          first_replica_ms: Math.round(first.replica_ms.ms),
          master_ms: Math.round(listing.master_ms.ms),
          replica_ms: Math.round(listing.replica_ms.ms),
          objects_per_s: perSecond(listing.master_ms.ms),
          // iowait in a listing's time: the server's metadata was read from disk, not the cache.
          host_cpu: {
            first_master: first.master_ms.host_cpu,
            first_replica: first.replica_ms.host_cpu,
            master: listing.master_ms.host_cpu,
            replica: listing.replica_ms.host_cpu,
          },
        },
        ...result,
      }
      fs.mkdirSync('bench/results', { recursive: true })
      fs.writeFileSync(`bench/results/million-${db}.json`, JSON.stringify(out, null, 2) + '\n')
      console.log(JSON.stringify(out, null, 2))
      const child = children.find((c) => c.pid === pid)
      if (child) await stop(child)
    }
  } finally {
    for (const child of children) await stop(child)
    await postgres?.stop()
    await Promise.all(minios.map((m) => m.destroy()))
    if (!process.env.SEEDED)
      for (const root of roots) fs.rmSync(root, { recursive: true, force: true })
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

/**
 * Every file of both servers' directories read once (32 readers), so that each run starts with the
 * servers' metadata in the page cache: a pass over a million objects is otherwise bound by the
 * disk's random reads (here, with the page cache dropped, a first listing had not ended after
 * twelve minutes, reading 1-1.6 MB/s at 60-70 % iowait) and the figures say nothing of FaDO. Its
 * time says how cold the cache was.
 */
async function warmPageCache(roots: string[]): Promise<{ ms: number; host_cpu: HostCpu }[]> {
  const warm = []
  for (const root of roots) {
    const cpu = hostCpuTicks()
    const t = performance.now()
    await run('sh', [
      '-c',
      'find "$1" -type f -print0 | xargs -0 -P 32 -n 2000 cat > /dev/null',
      'warm',
      path.join(root, 'data', BUCKET),
    ])
    warm.push({ ms: Math.round(performance.now() - t), host_cpu: hostCpuSince(cpu) })
  }
  console.error(`page cache warmed: ${warm.map((w) => `${w.ms} ms`).join(', ')}`)
  return warm
}

/**
 * The master's directory seeded (snowball uploads of CHUNK objects), then copied for the replica:
 * the same objects, in half the time of seeding both.
 */
async function seedCopies(master: string, replica: string) {
  const seedStart = Date.now()
  const m = await startMinioServer({ bin: requireMinio(), root: master })
  try {
    await s3Of(m).makeBucket(BUCKET)
    const width = String(N - 1).length
    for (let from = 0; from < N; from += CHUNK)
      await fillBucket(m, BUCKET, Math.min(CHUNK, N - from), { from, width, size: 64 })
  } finally {
    await m.destroy()
  }
  fs.rmSync(replica, { recursive: true, force: true })
  fs.cpSync(master, replica, { recursive: true })
  // A deployment id of its own: FaDO would refuse one server tracked twice.
  const format = path.join(replica, 'data', '.minio.sys', 'format.json')
  const json = JSON.parse(fs.readFileSync(format, 'utf8')) as { id: string }
  fs.writeFileSync(format, JSON.stringify({ ...json, id: randomUUID() }))
  console.error(`seeded 2 × ${N} objects in ${((Date.now() - seedStart) / 1000).toFixed(0)} s`)
}

async function measure(fado: BenchFado, pid: number, minios: MinioServer[], upstreamUrl: string) {
  const { json, api } = fado
  const cluster = (await json('POST', '/api/clusters', { name: 'site' })).cluster_id
  await json('POST', '/api/faas-deployments', { cluster_id: cluster, url: upstreamUrl })
  const atStart = memoryOf(pid)
  const idleRss = atStart.rss_mb
  peakPss = 0

  // Import: tracking the master finds the bucket; its first pass indexes it.
  const importStart = Date.now()
  const [, importPeak, importCpu] = await peakRss(pid, async () => {
    await json('POST', '/api/storage-deployments', {
      ...trackBody(minios[0]!, 'm0', cluster),
      configure_webhook: false,
    })
    await waitFor(
      'the import',
      async () =>
        (await json('GET', '/api/buckets')).find((b: { name: string }) => b.name === BUCKET)
          ?.object_count === N,
      3_600_000,
    )
  })
  const importMs = Date.now() - importStart
  console.error(`import ${importMs} ms`)
  const rep = await json('POST', '/api/storage-deployments', {
    ...trackBody(minios[1]!, 'm1', cluster),
    configure_webhook: false,
  })
  const id = (await json('GET', '/api/buckets')).find(
    (b: { name: string }) => b.name === BUCKET,
  ).bucket_id
  const replica = async () =>
    (await json('GET', `/api/buckets/${id}`)).replicas[0] as
      { status: string; last_full_pass_at: string | null; last_full_pass_ms: number } | undefined

  // First pass: every object already equal on the replica.
  const [first, firstPeak, firstCpu] = await peakRss(pid, async () => {
    await json('PUT', `/api/buckets/${id}`, { replica_locations: [rep.storage_id] })
    await waitFor(
      'the first pass',
      async () => (await replica())?.last_full_pass_at != null,
      3_600_000,
    )
    return (await replica())!.last_full_pass_ms
  })
  console.error(`first pass ${first} ms`)

  const pass = async () => {
    const before = (await replica())!.last_full_pass_at
    await json('POST', `/api/buckets/${id}/sync`)
    await waitFor('a pass', async () => (await replica())!.last_full_pass_at !== before, 3_600_000)
    const r = (await replica())!
    if (r.status !== 'synced') throw new Error(`replica ${r.status} after a pass`)
    return r.last_full_pass_ms
  }
  const [steady, steadyPeak, steadyCpu] = await peakRss(pid, async () => [
    await pass(),
    await pass(),
  ])
  console.error(`steady passes ${steady.join(', ')} ms`)

  await waitFor('the route', async () => {
    const res = await fetch(`${fado.edgeUrl}/`, { headers: { 'X-FaDO-Bucket': BUCKET } })
    await res.arrayBuffer()
    return res.ok
  })
  const invoke = () => fetch(`${fado.edgeUrl}/`, { headers: { 'X-FaDO-Bucket': BUCKET } })
  const samplers = (until: Promise<unknown>) =>
    Promise.all([
      sample(() => api('GET', '/api/resources'), until, 20),
      sample(() => api('GET', '/api/buckets'), until, 20),
      sample(invoke, until, 5),
    ])
  // One scrape of control's /metrics: a sample's value by its name (prefix fado_control_).
  const scrape = async () => (await api('GET', '/metrics')).text()
  const controlMetrics = async () => {
    const text = await scrape()
    return (name: string) => Number(new RegExp(`^fado_control_${name} (\\S+)`, 'm').exec(text)?.[1])
  }
  // Control's event-loop delay (a scrape restarts the histogram): how long a ready callback — an
  // API request's next step — waited, idle and during the sampled pass.
  const eventLoop = async () => {
    const value = await controlMetrics()
    const ms = (q: string) => Math.round(value(`nodejs_eventloop_lag_${q}_seconds`) * 1e4) / 10
    return { p50_ms: ms('p50'), p99_ms: ms('p99'), max_ms: ms('max') }
  }
  // Where control's resident memory is: V8's heap, and memory outside it (buffers, WebAssembly).
  const heap = async () => {
    const value = await controlMetrics()
    const mb = (name: string) => Math.round(value(name) / 2 ** 20)
    return {
      rss_mb: mb('process_resident_memory_bytes'),
      heap_total_mb: mb('nodejs_heap_size_total_bytes'),
      heap_used_mb: mb('nodejs_heap_size_used_bytes'),
      external_mb: mb('nodejs_external_memory_bytes'),
    }
  }
  await eventLoop()
  const [resourcesIdle, bucketsIdle, invokeIdle] = await samplers(sleep(15_000))
  const loopIdle = await eventLoop()
  const idle = memoryOf(pid)
  const idleAfter = idle.rss_mb
  const controlIdle = await heap()
  const sampled = pass()
  const [[resourcesBusy, bucketsBusy, invokeBusy], sampledPeak, sampledCpu] = await peakRss(
    pid,
    () => samplers(sampled),
  )
  const sampledMs = await sampled
  const loopBusy = await eventLoop()

  // 1,000 objects changed on the master behind FaDO's back, spread over the key order.
  const width = String(N - 1).length
  const master = s3Of(minios[0]!)
  for (let i = 0; i < CHANGES; i++) {
    const key = `obj/${String(Math.floor((i * N) / CHANGES)).padStart(width, '0')}`
    const data = Buffer.from(`changed ${i} at ${Date.now()}`.padEnd(64, '!')) // new on every run
    await master.putObject(BUCKET, key, Readable.from([data]), data.length)
  }
  const [changed, changedPeak, changedCpu] = await peakRss(pid, pass)
  console.error(`pass after ${CHANGES} changes ${changed} ms`)
  // The embedded database's VACUUM and ANALYZE runs over the whole run (db/upkeep.ts), by table.
  const metricsText = await scrape()
  const samples = (name: string) =>
    [
      ...metricsText.matchAll(
        new RegExp(`^${name}\\{table="([^"]*)",action="(\\w+)"\\} (\\S+)`, 'gm'),
      ),
    ].map(([, table, action, value]) => ({ table, action, value: Number(value) }))
  const upkeepSeconds = samples('fado_db_upkeep_seconds_total')
  const upkeep = samples('fado_db_upkeep_total').map(({ table, action, value }) => {
    const seconds = upkeepSeconds.find((s) => s.table === table && s.action === action)
    return { table, action, runs: value, seconds: Math.round((seconds?.value ?? 0) * 100) / 100 }
  })

  return {
    import: {
      ms: importMs,
      objects_per_s: perSecond(importMs),
      peak_rss_mb: importPeak,
      host_cpu: importCpu,
    },
    first_pass: {
      ms: first,
      objects_per_s: perSecond(first),
      peak_rss_mb: firstPeak,
      host_cpu: firstCpu,
    },
    steady_passes: steady.map((ms) => ({ ms, objects_per_s: perSecond(ms) })),
    steady_peak_rss_mb: steadyPeak,
    steady_host_cpu: steadyCpu,
    sampled_pass: {
      ms: sampledMs,
      objects_per_s: perSecond(sampledMs),
      peak_rss_mb: sampledPeak,
      host_cpu: sampledCpu,
    },
    pass_after_changes: {
      changes: CHANGES,
      ms: changed,
      objects_per_s: perSecond(changed),
      peak_rss_mb: changedPeak,
      host_cpu: changedCpu,
    },
    db_upkeep: upkeep,
    api_resources: { idle: resourcesIdle, during_pass: resourcesBusy },
    api_buckets: { idle: bucketsIdle, during_pass: bucketsBusy },
    invocations: { idle: invokeIdle, during_pass: invokeBusy },
    control_event_loop_delay: { idle: loopIdle, during_pass: loopBusy },
    rss_mb: { at_start: idleRss, idle_with_bucket: idleAfter },
    // RSS counts pages the processes share (node's code) once per process; PSS splits them.
    memory: { at_start: atStart, idle_with_bucket: idle, peak_pss_mb: peakPss },
    control_memory_idle: controlIdle,
  }
}

/** An s3 master: import, listing alone, and the poller's time to see a change at the end. */
async function seaweedPart() {
  const bin = weedPath()
  if (!bin) throw new Error('weed not found: npm run setup (builds it from its Go module)')
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fado-million-weed-'))
  const { start, stop, children } = processes()
  const weed = await startSeaweedServer({ bin })
  try {
    const conn = {
      endpoint: weed.endpoint,
      use_ssl: false,
      access_key: SEAWEED_USER,
      secret_key: SEAWEED_PASSWORD,
      kind: 's3' as const,
    }
    const s3 = new S3Storage(conn, { timeoutMs: 600_000 })
    await s3.makeBucket(BUCKET)
    const width = String(N - 1).length
    const key = (i: number) => `obj/${String(i).padStart(width, '0')}`
    const seedStart = Date.now()
    let next = 0
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        for (let i = next++; i < N; i = next++) {
          const data = Buffer.from(`object ${i} `.padEnd(64, '.'))
          await s3.putObject(BUCKET, key(i), Readable.from([data]), data.length)
        }
      }),
    )
    console.error(`seeded ${N} objects in ${((Date.now() - seedStart) / 1000).toFixed(0)} s`)
    const listing = await listAll(s3)
    const listingMs = listing.ms
    const fado = await startStandalone(start, dir, TOKEN, ['--full-pass-interval', '3600000'])
    const cluster = (await fado.json('POST', '/api/clusters', { name: 'site' })).cluster_id
    const importStart = Date.now()
    await fado.json('POST', '/api/storage-deployments', {
      alias: 'weed',
      cluster_id: cluster,
      ...conn,
    })
    await waitFor(
      'the import',
      async () =>
        (await fado.json('GET', '/api/buckets')).find((b: { name: string }) => b.name === BUCKET)
          ?.object_count === N,
      3_600_000,
    )
    const importMs = Date.now() - importStart
    // A change at the end of the key order, made on the server: how long until the index has it.
    const seen: number[] = []
    for (let round = 0; round < 3; round++) {
      const data = Buffer.from(`changed in round ${round}`.padEnd(64 + round + 1, '!'))
      const changedAt = Date.now()
      await s3.putObject(BUCKET, key(N - 1), Readable.from([data]), data.length)
      await waitFor(
        'the poller to see the change',
        async () => {
          const page = await fado.json('GET', `/api/objects?bucket=${BUCKET}&prefix=${key(N - 1)}`)
          return page.objects?.[0]?.size === data.length
        },
        3_600_000,
      )
      seen.push(Date.now() - changedAt)
      console.error(`round ${round + 1}: seen after ${seen.at(-1)} ms`)
    }
    const out = {
      date: new Date().toISOString(),
      machine: machine(),
      server: 'SeaweedFS (kind s3)',
      objects: N,
      listing_alone: {
        ms: Math.round(listingMs),
        objects_per_s: perSecond(listingMs),
        host_cpu: listing.host_cpu,
      },
      import: { ms: importMs, objects_per_s: perSecond(importMs) },
      s3_poll_interval_ms: 5000,
      change_at_end_seen_after_ms: seen,
      rss_mb: memoryOf(fado.proc.pid as number).rss_mb,
    }
    fs.mkdirSync('bench/results', { recursive: true })
    fs.writeFileSync('bench/results/million-seaweed.json', JSON.stringify(out, null, 2) + '\n')
    console.log(JSON.stringify(out, null, 2))
  } finally {
    for (const child of children) await stop(child)
    await weed.destroy()
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

await main()
// Stray handles (a keep-alive socket, a child's pipe) must not hold the bench open.
process.exit(0)
