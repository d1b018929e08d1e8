/**
 * Control out of the data path (issue 22), measured on WAN links made by relays (platform/
 * wan-relay.ts: delay and a bandwidth shared by every connection on a link, per direction).
 *
 * PART=fig71 — the thesis's Figure 7.1, side by side. Master MinIO in cluster A, replica MinIO in
 * cluster B, objects of 10 MB, buckets of 10 to 150 MB. Control reaches both storages over one
 * slow link (10 Mbit/s, 40 ms RTT: the thesis's "domestic connection"); A↔B is fast (1 Gbit/s,
 * 2 ms). Three set-ups, each a real `fado standalone` (embedded database) and, where said, a real
 * `fado agent` in B that reaches A over the fast link:
 *   control-slow  today's copier: control copies, over its slow link;
 *   agent-slow    the same control, an agent in B copies;
 *   control-fast  the reference: control copies, on the fast link itself.
 * Time: from creating the bucket (its objects already on the master) to the API saying the
 * replica is synced. control-slow moves 2× the bytes over 10 Mbit/s (2 min for 150 MB): it runs
 * sizes 10, 50 and 150 MB once; the others every size, REPEATS times (default 5).
 *
 * PART=fanout — one 200 MB bucket (20 × 10 MB) replicated to three clusters at once; each pair of
 * clusters joined by its own 100 Mbit/s link (10 ms), control by one 100 Mbit/s link to all four
 * storages. Control-only vs an agent in each replica cluster: wall time and bytes per link.
 *
 *   npm run bench:agents     (PART=fig71|fanout, default both; REPEATS=5)
 * Writes bench/results/agents-fig71.json and agents-fanout.json and prints Markdown tables.
 */
import type { ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import { startWanRelay, wanLink, type RunningRelay, type WanLink } from '../platform/wan-relay.js'
import { MINIO_PASSWORD, MINIO_USER, startMinio, type TestMinio } from '../test/helpers/minio.js'
import { waitFor } from '../test/helpers/ports.js'
import { randomData, s3Of } from '../test/helpers/storage.js'
import { startStandalone, type BenchFado } from './fado.js'
import { processes } from './lib.js'

const PART = process.env.PART ?? 'all'
const REPEATS = Number(process.env.REPEATS ?? 5)
const TOKEN = 'bench-agents-token-0123456789'
const MB = 1_000_000
const OBJECT = 10 * MB
const machine = `${os.cpus().length} vCPU ${os.cpus()[0]?.model}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`
const { start, stop } = processes()

const data = randomData(OBJECT)
let runs = 0

/** A relay to a MinIO, over `link`. */
const relayTo = (minio: TestMinio, link: WanLink) => {
  const [host, port] = minio.endpoint.split(':') as [string, string]
  return startWanRelay({ rttMs: 0, mbit: 0, link, target: { host, port: Number(port) } })
}

const linkBytes = (relays: RunningRelay[]) =>
  relays.reduce((n, r) => n + r.bytes.toTarget + r.bytes.fromTarget, 0)

interface Site {
  name: string
  minio: TestMinio
  /** Where control reaches its storage. */
  controlEndpoint: string
  /** Where the agent in this cluster reaches each cluster's storage (alias → host:port). */
  agentEndpoints?: Record<string, string>
}

/** A standalone FaDO tracking every site's storage at its control endpoint; agents where asked. */
async function platform(sites: Site[], agentsIn: string[]) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fado-bench-agents-'))
  const fado = await startStandalone(start, dir, TOKEN, ['--database', 'memory'])
  const ids: Record<string, { cluster: number; storage: number }> = {}
  for (const site of sites) {
    const cluster = (await fado.json('POST', '/api/clusters', { name: site.name })).cluster_id
    const storage = await fado.json('POST', '/api/storage-deployments', {
      alias: `minio-${site.name}`,
      cluster_id: cluster,
      endpoint: site.controlEndpoint,
      access_key: MINIO_USER,
      secret_key: MINIO_PASSWORD,
    })
    if (!storage.storage_id) throw new Error(JSON.stringify(storage))
    ids[site.name] = { cluster, storage: storage.storage_id }
  }
  const agents: ChildProcess[] = []
  for (const name of agentsIn) {
    const site = sites.find((s) => s.name === name)!
    const token = (
      await fado.json('POST', '/api/tokens', {
        name: `agent-${name}`,
        scope: 'agent',
        cluster_id: ids[name]!.cluster,
      })
    ).token
    const endpoints = Object.entries(site.agentEndpoints ?? {}).map(([a, e]) => `${a}=${e}`)
    agents.push(
      start(
        process.execPath,
        [
          'dist/fado.mjs',
          'agent',
          '--control-url',
          fado.apiUrl,
          '--cluster',
          name,
          ...endpoints.flatMap((e) => ['--storage-endpoint', e]),
          '--log-level',
          'warn',
        ],
        `fado agent ${name}`,
        { ...process.env, FADO_AGENT_TOKEN: token },
      ),
    )
  }
  if (agentsIn.length > 0)
    await waitFor('the agents to report themselves', async () => {
      const listed = (await fado.json('GET', '/api/agents')) as { live: boolean }[]
      return listed.filter((a) => a.live).length === agentsIn.length
    })
  return {
    fado,
    ids,
    async close() {
      for (const a of agents) await stop(a)
      await stop(fado.proc)
    },
  }
}

/** Puts `count` objects of 10 MB in a new bucket on the master (directly, not through FaDO). */
async function fill(minio: TestMinio, bucket: string, count: number) {
  const s3 = s3Of(minio)
  await s3.makeBucket(bucket)
  for (let i = 0; i < count; i++)
    await s3.putObject(bucket, `part-${String(i).padStart(3, '0')}`, Readable.from([data]), OBJECT)
}

/** Creates the bucket in FaDO with its replicas; seconds until every one is synced. */
async function replicate(
  fado: BenchFado,
  bucket: string,
  master: number,
  replicas: number[],
): Promise<number> {
  const t0 = performance.now()
  const created = await fado.json('POST', '/api/buckets', {
    name: bucket,
    storage_id: master,
    replica_locations: replicas,
  })
  if (!created.bucket_id) throw new Error(JSON.stringify(created))
  await waitFor(
    `${bucket} synced`,
    async () => {
      const b = await fado.json('GET', `/api/buckets/${created.bucket_id}`)
      return (
        b.replicas.length === replicas.length &&
        b.replicas.every((r: { status: string }) => r.status === 'synced')
      )
    },
    600_000,
  )
  return (performance.now() - t0) / 1000
}

const median = (xs: number[]) => {
  const s = [...xs].sort((x, y) => x - y)
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}

async function fig71() {
  const [a, b] = await Promise.all([startMinio(), startMinio()])
  const slow = wanLink(40, 10)
  const fast = wanLink(2, 1000)
  const slowRelays = [await relayTo(a, slow), await relayTo(b, slow)]
  const fastRelays = [await relayTo(a, fast), await relayTo(b, fast)]
  /** What B's agent uses to reach A: its own fast link (A↔B), and B's storage next to it. */
  const abLink = await relayTo(a, wanLink(2, 1000))
  const sizes = [10, 30, 50, 70, 90, 110, 130, 150]
  const setups = [
    { name: 'control-slow', control: slowRelays, agent: false, sizes: [10, 50, 150], repeats: 1 },
    { name: 'agent-slow', control: slowRelays, agent: true, sizes, repeats: REPEATS },
    { name: 'control-fast', control: fastRelays, agent: false, sizes, repeats: REPEATS },
  ]
  const results: Record<string, Record<number, number[]>> = {}
  const controlShare: Record<string, number> = {}
  try {
    for (const setup of setups) {
      const p = await platform(
        [
          { name: 'a', minio: a, controlEndpoint: setup.control[0]!.endpoint },
          {
            name: 'b',
            minio: b,
            controlEndpoint: setup.control[1]!.endpoint,
            agentEndpoints: { 'minio-a': abLink.endpoint, 'minio-b': b.endpoint },
          },
        ],
        setup.agent ? ['b'] : [],
      )
      results[setup.name] = {}
      let moved = 0
      const before = linkBytes(setup.control)
      try {
        for (let rep = 0; rep < setup.repeats; rep++)
          for (const size of setup.sizes) {
            const bucket = `fig-${++runs}`
            await fill(a, bucket, size / 10)
            const s = await replicate(p.fado, bucket, p.ids.a!.storage, [p.ids.b!.storage])
            ;(results[setup.name]![size] ??= []).push(s)
            moved += size * MB
            console.error(`${setup.name} ${size} MB: ${s.toFixed(2)} s`)
          }
      } finally {
        await p.close()
      }
      controlShare[setup.name] = (linkBytes(setup.control) - before) / moved
    }
  } finally {
    for (const r of [...slowRelays, ...fastRelays, abLink]) await r.close()
    await Promise.all([a.destroy(), b.destroy()])
  }
  const table = sizes.map((size) => {
    const m = (name: string) => {
      const xs = results[name]?.[size]
      return xs ? median(xs) : undefined
    }
    return {
      mb: size,
      control_slow_s: m('control-slow'),
      agent_slow_s: m('agent-slow'),
      control_fast_s: m('control-fast'),
      agent_vs_reference: (m('agent-slow') ?? 0) / (m('control-fast') ?? 1),
      runs: {
        control_slow: results['control-slow']?.[size],
        agent_slow: results['agent-slow']?.[size],
        control_fast: results['control-fast']?.[size],
      },
    }
  })
  const out = {
    date: new Date().toISOString(),
    machine,
    links: {
      control_slow: '10 Mbit/s, 40 ms RTT, one link to both storages',
      control_fast: '1 Gbit/s, 2 ms RTT',
      a_to_b: '1 Gbit/s, 2 ms RTT',
    },
    object_bytes: OBJECT,
    repeats: REPEATS,
    control_link_bytes_per_replicated_byte: controlShare,
    table,
  }
  fs.mkdirSync('bench/results', { recursive: true })
  fs.writeFileSync('bench/results/agents-fig71.json', JSON.stringify(out, null, 2) + '\n')
  const f = (x: number | undefined) => (x === undefined ? '–' : `${x.toFixed(2)} s`)
  console.log(`\n| MB | control on slow link (today) | agent in B, control on slow link | control on fast link (reference) | agent / reference |
| --: | --: | --: | --: | --: |
${table.map((r) => `| ${r.mb} | ${f(r.control_slow_s)} | ${f(r.agent_slow_s)} | ${f(r.control_fast_s)} | ${r.agent_vs_reference.toFixed(2)} |`).join('\n')}

Bytes over control's link per byte replicated: ${Object.entries(controlShare)
    .map(([k, v]) => `${k} ${(v * 100).toFixed(2)} %`)
    .join(', ')}`)
}

async function fanout() {
  const names = ['a', 'b', 'c', 'd']
  const minios = await Promise.all(names.map(() => startMinio()))
  const byName = Object.fromEntries(names.map((n, i) => [n, minios[i]!]))
  const control = wanLink(10, 100)
  const controlRelays = await Promise.all(minios.map((m) => relayTo(m, control)))
  /** Each replica cluster's own link to the master's. */
  const pairRelays: Record<string, RunningRelay> = {}
  for (const n of ['b', 'c', 'd']) pairRelays[n] = await relayTo(byName.a!, wanLink(10, 100))
  const sites: Site[] = names.map((n, i) => ({
    name: n,
    minio: minios[i]!,
    controlEndpoint: controlRelays[i]!.endpoint,
    ...(n === 'a'
      ? {}
      : {
          agentEndpoints: {
            'minio-a': pairRelays[n]!.endpoint,
            [`minio-${n}`]: byName[n]!.endpoint,
          },
        }),
  }))
  const repeats = Math.max(1, Math.min(REPEATS, 2))
  const rows: {
    setup: string
    seconds: number[]
    control_link_mb: number
    pair_links_mb: number[]
  }[] = []
  try {
    for (const setup of ['control-only', 'agents']) {
      const p = await platform(sites, setup === 'agents' ? ['b', 'c', 'd'] : [])
      const seconds: number[] = []
      const c0 = linkBytes(controlRelays)
      const p0 = ['b', 'c', 'd'].map((n) => linkBytes([pairRelays[n]!]))
      try {
        for (let rep = 0; rep < repeats; rep++) {
          const bucket = `fan-${++runs}`
          await fill(byName.a!, bucket, 20)
          const s = await replicate(p.fado, bucket, p.ids.a!.storage, [
            p.ids.b!.storage,
            p.ids.c!.storage,
            p.ids.d!.storage,
          ])
          seconds.push(s)
          console.error(`${setup}: ${s.toFixed(1)} s`)
        }
      } finally {
        await p.close()
      }
      rows.push({
        setup,
        seconds,
        control_link_mb: (linkBytes(controlRelays) - c0) / MB / repeats,
        pair_links_mb: ['b', 'c', 'd'].map(
          (n, i) => (linkBytes([pairRelays[n]!]) - (p0[i] ?? 0)) / MB / repeats,
        ),
      })
    }
  } finally {
    for (const r of [...controlRelays, ...Object.values(pairRelays)]) await r.close()
    await Promise.all(minios.map((m) => m.destroy()))
  }
  const ratio = median(rows[1]!.seconds) / median(rows[0]!.seconds)
  const out = {
    date: new Date().toISOString(),
    machine,
    bucket_mb: 200,
    links:
      'control: one 100 Mbit/s link (10 ms) to all four storages; A↔B, A↔C, A↔D: 100 Mbit/s each (10 ms)',
    repeats,
    rows,
    agents_vs_control_only: ratio,
  }
  fs.mkdirSync('bench/results', { recursive: true })
  fs.writeFileSync('bench/results/agents-fanout.json', JSON.stringify(out, null, 2) + '\n')
  console.log(`\n| set-up | wall time (median of ${repeats}) | runs | MB over control's link | MB over A↔B, A↔C, A↔D |
| --- | --: | --- | --: | --- |
${rows.map((r) => `| ${r.setup} | ${median(r.seconds).toFixed(1)} s | ${r.seconds.map((s) => s.toFixed(1)).join(', ')} | ${r.control_link_mb.toFixed(0)} | ${r.pair_links_mb.map((m) => m.toFixed(0)).join(', ')} |`).join('\n')}

agents / control-only: ${ratio.toFixed(2)}`)
}

if (PART === 'all' || PART === 'fig71') await fig71()
if (PART === 'all' || PART === 'fanout') await fanout()
