/**
 * MinIO → SeaweedFS replication (issue 13): FaDO's bucket sync (the reconciler's code path, the
 * destination tracked as kind `s3`) vs `rclone sync`, same data, same machine, same run. One
 * MinIO holds the source buckets; two SeaweedFS servers receive FaDO's and rclone's copies, each
 * starting empty. Two data sets: 10 × 10 MiB, and 2,000 × 4 KiB (no snowball batches for an
 * `s3` destination: one PUT per object, as rclone does). Full copy to an empty bucket, median of
 * REPEATS; then incremental: one object changed on the source.
 *
 *   npm run bench:seaweed        (needs rclone: apt-get install -y rclone; MinIO and weed: npm run setup)
 * Writes bench/results/seaweed.json.
 */
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import { Readable } from 'node:stream'
import { promisify } from 'node:util'
import {
  SEAWEED_PASSWORD,
  SEAWEED_USER,
  startSeaweedServer,
  weedPath,
} from '../platform/seaweed-server.js'
import { emptyStats } from '../control/replication/copy.js'
import { syncReplica } from '../control/replication/sync-replica.js'
import { S3Storage } from '../control/storage/s3.js'
import { startMinio } from '../test/helpers/minio.js'
import { randomData, s3Of } from '../test/helpers/storage.js'
import { rcloneEnv, rcloneRemote, rcloneSync } from './rclone.js'

const run = promisify(execFile)
const REPEATS = Number(process.env.REPEATS ?? 3)
const CONCURRENCY = 4 // rclone's default --transfers
const SETS = [
  { name: 'large', objects: 10, bytes: 10 * 1024 * 1024 },
  { name: 'small', objects: 2_000, bytes: 4 * 1024 },
]

const median = (xs: number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN

const runRclone = (bucket: string, env: Record<string, string>) =>
  rcloneSync(bucket, env, ['--transfers', String(CONCURRENCY), '--checkers', '8'])

/** CPU seconds this process spent in `fn`, and its wall ms. */
async function timed(fn: () => Promise<void>): Promise<{ ms: number; cpu: number }> {
  const c0 = process.cpuUsage()
  const t0 = performance.now()
  await fn()
  const c = process.cpuUsage(c0)
  return { ms: performance.now() - t0, cpu: (c.user + c.system) / 1e6 }
}

async function emptyBucket(s: S3Storage, bucket: string) {
  if (await s.bucketExists(bucket)) {
    for await (const e of s.listObjects(bucket)) await s.removeObject(bucket, e.key)
    await s.removeBucket(bucket)
  }
  await s.makeBucket(bucket)
}

async function main() {
  try {
    await run('rclone', ['version'])
  } catch {
    throw new Error('rclone not found: apt-get install -y rclone')
  }
  const bin = weedPath()
  if (!bin) throw new Error('weed not found: npm run setup')
  const a = await startMinio()
  const [b, c] = [await startSeaweedServer({ bin }), await startSeaweedServer({ bin })]
  const seaweed = (endpoint: string) =>
    new S3Storage({
      endpoint,
      use_ssl: false,
      access_key: SEAWEED_USER,
      secret_key: SEAWEED_PASSWORD,
      kind: 's3',
    })
  const [sa, sb, sc] = [s3Of(a), seaweed(b.endpoint), seaweed(c.endpoint)]
  const env = {
    ...rcloneEnv('a', a),
    ...rcloneRemote('c', 'SeaweedFS', c.endpoint, SEAWEED_USER, SEAWEED_PASSWORD),
  }
  const rows = []
  try {
    for (const set of SETS) {
      const bucket = `src-${set.name}`
      await sa.makeBucket(bucket)
      for (let i = 0; i < set.objects; i++) {
        const data = randomData(set.bytes)
        await sa.putObject(
          bucket,
          `obj-${String(i).padStart(5, '0')}`,
          Readable.from([data]),
          data.length,
        )
      }
      const fado: number[] = []
      const rclone: number[] = []
      const fadoCpu: number[] = []
      const rcloneCpu: number[] = []
      for (let r = 0; r < REPEATS; r++) {
        const steps = [
          async () => {
            await emptyBucket(sb, bucket)
            const t = await timed(async () => {
              await syncReplica(bucket, sa, sb, { concurrency: CONCURRENCY, stats: emptyStats() })
            })
            fado.push(t.ms)
            fadoCpu.push(t.cpu)
          },
          async () => {
            await emptyBucket(sc, bucket)
            const t = await runRclone(bucket, env)
            rclone.push(t.ms)
            rcloneCpu.push(t.cpu)
          },
        ]
        if (r % 2 === 1) steps.reverse()
        for (const step of steps) await step()
      }
      // Incremental: one object changed on the source.
      const changed = randomData(set.bytes)
      await sa.putObject(bucket, 'obj-00007', Readable.from([changed]), changed.length)
      const stats = emptyStats()
      const t0 = performance.now()
      await syncReplica(bucket, sa, sb, { concurrency: CONCURRENCY, stats })
      const fadoInc = performance.now() - t0
      const rcloneInc = (await runRclone(bucket, env)).ms
      const [f, rc] = [median(fado), median(rclone)]
      const mib = (set.objects * set.bytes) / 2 ** 20
      const row = {
        set: `${set.objects} × ${set.bytes >= 2 ** 20 ? `${set.bytes / 2 ** 20} MiB` : `${set.bytes / 1024} KiB`}`,
        fado_ms: Math.round(f),
        rclone_ms: Math.round(rc),
        fado_objects_per_s: Math.round(set.objects / (f / 1000)),
        rclone_objects_per_s: Math.round(set.objects / (rc / 1000)),
        fado_mib_s: +(mib / (f / 1000)).toFixed(1),
        rclone_mib_s: +(mib / (rc / 1000)).toFixed(1),
        ratio: +(rc / f).toFixed(2),
        // CPU seconds each copier spent (the servers' CPU is not counted): on 2 cores shared with
        // three storage servers, a copier's CPU is taken from them.
        fado_cpu_s: +median(fadoCpu).toFixed(3),
        rclone_cpu_s: +median(rcloneCpu).toFixed(3),
        incremental: {
          fado_ms: Math.round(fadoInc),
          fado_objects_copied: stats.objects_copied,
          rclone_ms: Math.round(rcloneInc),
        },
        runs: { fado_ms: fado.map(Math.round), rclone_ms: rclone.map(Math.round) },
      }
      console.error(row)
      rows.push(row)
    }
    const result = {
      machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()}, node ${process.version}`,
      date: new Date().toISOString(),
      rclone: (await run('rclone', ['version'])).stdout.split('\n')[0],
      seaweedfs: (await run(bin, ['version'])).stdout.split('\n')[0],
      setup: `MinIO source → SeaweedFS destinations (weed mini, one each for FaDO and rclone), ${CONCURRENCY} transfers each, median of ${REPEATS} full copies to an empty bucket, then one object changed`,
      rows,
    }
    fs.mkdirSync('bench/results', { recursive: true })
    fs.writeFileSync('bench/results/seaweed.json', JSON.stringify(result, null, 2) + '\n')
    console.log(JSON.stringify(result, null, 2))
  } finally {
    await a.destroy()
    await b.destroy()
    await c.destroy()
  }
}

await main()
