/**
 * Many small objects: a bucket of 100,000 objects of 100 bytes on one MinIO, replicated to a second
 * by `fado standalone` (the real bin, embedded database, as a user runs it: track both, set a
 * replica location, wait until the API says synced) and by `rclone sync` with its defaults to a
 * third, in the same run. Also the memory of the fado processes (RSS and PSS of the control process
 * and its edge workers): idle, and at its peak while syncing.
 *
 *   npm run bench:many-objects      (needs rclone: apt-get install -y rclone; COUNT=20000 for a quick run)
 *   AGENTS=1 npm run bench:many-objects   the replica in a cluster of its own, its bytes moved by a
 *                                         `fado agent` there (snowball batches through pre-signed PUTs)
 * Writes bench/results/many-objects(-agents).json and prints a Markdown summary.
 */
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { MINIO_PASSWORD, MINIO_USER, startMinio, type TestMinio } from '../test/helpers/minio.js'
import { waitFor } from '../test/helpers/ports.js'
import { startStandalone } from './fado.js'
import { cpuSeconds, memoryOf, processes, watchPeakMemory } from './lib.js'
import { rcloneEnv, withoutCaBundle } from './rclone.js'
import { fillBucket, s3Of } from '../test/helpers/storage.js'

const run = promisify(execFile)
const COUNT = Number(process.env.COUNT ?? 100_000)
const TOKEN = 'bench-many-objects-token-0123'
const AGENTS = process.env.AGENTS === '1'

const cpuOf = (pid: number): number => cpuSeconds([pid])

/** The pid of the MinIO server listening on that port. */
async function minioPid(minio: TestMinio): Promise<number> {
  const { stdout } = await run('pgrep', ['-f', `minio server .*127\\.0\\.0\\.1:${minio.port} `])
  return Number(stdout.trim().split('\n')[0])
}

/** Objects in the bucket on that server. */
async function count(minio: TestMinio): Promise<number> {
  let n = 0
  for await (const entry of s3Of(minio).listObjects('many')) if (entry.key) n++
  return n
}

async function main() {
  try {
    await run('rclone', ['version'])
  } catch {
    throw new Error('rclone not found: apt-get install -y rclone')
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fado-many-objects-'))
  const [a, b, c] = [await startMinio(), await startMinio(), await startMinio()]
  const { start, children, stop } = processes()
  try {
    await s3Of(a).makeBucket('many')
    let t0 = performance.now()
    await fillBucket(a, 'many', COUNT)
    console.error(
      `filled the source with ${COUNT} objects in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    )

    // rclone first, on a cold destination, with its defaults (4 transfers, 8 checkers).
    await s3Of(c).makeBucket('many')
    const [pidA, pidB, pidC] = [await minioPid(a), await minioPid(b), await minioPid(c)]
    let cpu0 = [cpuOf(pidA), cpuOf(pidC)]
    t0 = performance.now()
    // sh waits for rclone, so its own /proc stat then holds rclone's CPU time (cutime, cstime).
    const { stdout: shStat } = await run(
      'sh',
      ['-c', 'rclone sync a:many c:many --stats 0 && cat /proc/$$/stat'],
      {
        env: {
          ...withoutCaBundle(process.env),
          ...rcloneEnv('a', a),
          ...rcloneEnv('c', c),
          RCLONE_CONFIG: '/dev/null',
        },
        maxBuffer: 64 * 1024 * 1024,
      },
    )
    const rcloneS = (performance.now() - t0) / 1000
    const shFields = shStat.split(') ')[1]?.split(' ') ?? []
    const rcloneCpu = {
      rclone_s: (Number(shFields[13]) + Number(shFields[14])) / 100,
      source_minio_s: +(cpuOf(pidA) - (cpu0[0] ?? 0)).toFixed(1),
      replica_minio_s: +(cpuOf(pidC) - (cpu0[1] ?? 0)).toFixed(1),
    }
    console.error(`rclone CPU: ${JSON.stringify(rcloneCpu)}`)
    const copied = await count(c)
    if (copied !== COUNT) throw new Error(`rclone copied ${copied} of ${COUNT}`)
    console.error(`rclone: ${rcloneS.toFixed(1)} s`)

    // FaDO: the real bin, embedded database in its own data dir.
    const fado = await startStandalone(start, dir, TOKEN)
    const api = fado.json
    await new Promise((r) => setTimeout(r, 10_000))
    const idle = memoryOf(fado.proc.pid as number)
    console.error(`idle: ${JSON.stringify(idle)}`)

    const cluster = (await api('POST', '/api/clusters', { name: 'site' })).cluster_id
    const track = (minio: TestMinio, alias: string) =>
      api('POST', '/api/storage-deployments', {
        alias,
        cluster_id: cluster,
        endpoint: minio.endpoint,
        access_key: MINIO_USER,
        secret_key: MINIO_PASSWORD,
      })
    const source = await track(a, 'source')
    // With agents, the replica is in a cluster of its own, and its agent moves the bytes.
    const replicaCluster = AGENTS
      ? (await api('POST', '/api/clusters', { name: 'replica-site' })).cluster_id
      : cluster
    const replica = await api('POST', '/api/storage-deployments', {
      alias: 'replica',
      cluster_id: replicaCluster,
      endpoint: b.endpoint,
      access_key: MINIO_USER,
      secret_key: MINIO_PASSWORD,
    })
    let agentPid: number | undefined
    if (AGENTS) {
      const token = (
        await api('POST', '/api/tokens', {
          name: 'agent',
          scope: 'agent',
          cluster_id: replicaCluster,
        })
      ).token as string
      const agent = start(
        process.execPath,
        ['dist/fado.mjs', 'agent', '--control-url', fado.apiUrl, '--cluster', 'replica-site'],
        'fado agent',
        { ...process.env, FADO_AGENT_TOKEN: token },
      )
      agentPid = agent.pid
      await waitFor('the agent to report itself', async () =>
        ((await api('GET', '/api/agents')) as { live: boolean }[]).some((x) => x.live),
      )
    }
    const bucket = async () =>
      (await api('GET', '/api/buckets')).find((x: { name: string }) => x.name === 'many')
    t0 = performance.now()
    await waitFor(
      'the import to be indexed',
      async () => (await bucket())?.object_count === COUNT,
      600_000,
    )
    const indexS = (performance.now() - t0) / 1000
    const watch = watchPeakMemory(fado.proc.pid as number)
    const id = (await bucket()).bucket_id
    cpu0 = [
      cpuOf(pidA),
      cpuOf(pidB),
      cpuOf(fado.proc.pid as number),
      agentPid === undefined ? 0 : cpuOf(agentPid),
    ]
    t0 = performance.now()
    await api('PUT', `/api/buckets/${id}`, { replica_locations: [replica.storage_id] })
    await waitFor(
      'the replica to be synced',
      async () => (await bucket())?.replicas?.[0]?.status === 'synced',
      1_200_000,
    )
    const fadoS = (performance.now() - t0) / 1000
    const fadoCpu = {
      fado_s: +(cpuOf(fado.proc.pid as number) - (cpu0[2] ?? 0)).toFixed(1),
      source_minio_s: +(cpuOf(pidA) - (cpu0[0] ?? 0)).toFixed(1),
      replica_minio_s: +(cpuOf(pidB) - (cpu0[1] ?? 0)).toFixed(1),
      ...(agentPid === undefined
        ? {}
        : { agent_s: +(cpuOf(agentPid) - (cpu0[3] ?? 0)).toFixed(1) }),
    }
    console.error(`FaDO CPU: ${JSON.stringify(fadoCpu)}`)
    const peak = watch.stop()
    const replicated = await count(b)
    if (replicated !== COUNT) throw new Error(`FaDO copied ${replicated} of ${COUNT}`)
    void source

    const result = {
      date: new Date().toISOString(),
      machine: `${os.cpus().length} vCPU ${os.cpus()[0]?.model}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
      objects: COUNT,
      object_bytes: 100,
      bytes_moved_by: AGENTS ? 'fado agent (pre-signed URLs)' : 'control',
      rclone_s: rcloneS,
      rclone_objects_per_s: COUNT / rcloneS,
      fado_s: fadoS,
      fado_objects_per_s: COUNT / fadoS,
      ratio: rcloneS / fadoS,
      fado_index_s: indexS,
      cpu_seconds: { rclone: rcloneCpu, fado: fadoCpu },
      memory_idle: idle,
      memory_peak_syncing: peak,
    }
    fs.mkdirSync('bench/results', { recursive: true })
    fs.writeFileSync(
      `bench/results/many-objects${AGENTS ? '-agents' : ''}.json`,
      JSON.stringify(result, null, 2) + '\n',
    )
    console.log(`| objects | rclone sync | FaDO | rclone objects/s | FaDO objects/s | FaDO / rclone |
| --- | --- | --- | --- | --- | --- |
| ${COUNT} | ${rcloneS.toFixed(1)} s | ${fadoS.toFixed(1)} s | ${result.rclone_objects_per_s.toFixed(0)} | ${result.fado_objects_per_s.toFixed(0)} | ${result.ratio.toFixed(2)}× |

FaDO indexed the imported bucket in ${indexS.toFixed(1)} s. CPU seconds during the copy — rclone: ${JSON.stringify(rcloneCpu)}; FaDO: ${JSON.stringify(fadoCpu)}. Memory (control + ${idle.processes - 1} edge workers):
idle RSS ${idle.rss_mb} MB (PSS ${idle.pss_mb} MB); peak while syncing RSS ${peak.rss_mb} MB (PSS ${peak.pss_mb} MB).`)
  } finally {
    for (const child of children) await stop(child)
    await Promise.all([a, b, c].map((m) => m.destroy()))
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

await main()
