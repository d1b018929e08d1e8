/**
 * Replication throughput: FaDO's bucket sync (the reconciler's code path) vs `rclone sync`, same
 * data, same machine, same run. Three local MinIO servers: A holds the source buckets, B receives
 * FaDO's copies, C receives rclone's, so each destination starts empty and equal.
 * Sizes 10…150 MB of 10 MB objects; each copy is repeated (fresh destination) and the median kept.
 * Then an incremental run: one object changed on A — time and bytes moved for both tools.
 *
 *   npm run bench:replication            (needs `rclone`: apt-get install -y rclone)
 * Writes bench/results/replication.json and prints a Markdown table.
 */
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import { promisify } from 'node:util'
import { emptyStats } from '../control/replication/copy.js'
import { syncReplica } from '../control/replication/sync-replica.js'
import { startMinio } from '../test/helpers/minio.js'
import { rcloneEnv, rcloneSync } from './rclone.js'
import { putBytes, randomData, s3Of } from '../test/helpers/storage.js'

const run = promisify(execFile)
const SIZES_MB = [10, 50, 100, 150]
const OBJECT_MB = 10
const REPEATS = Number(process.env.REPEATS ?? 5)
const CONCURRENCY = 4 // rclone's default --transfers

const median = (xs: number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN

async function runRclone(bucket: string, env: Record<string, string>) {
  const { ms, log } = await rcloneSync(bucket, env, [
    '--transfers',
    String(CONCURRENCY),
    '--stats-one-line',
    '-v',
    '--stats',
    '1000h',
  ])
  const transferred =
    [...log.matchAll(/([\d.]+ [KMG]?i?B) \/ [\d.]+ [KMG]?i?B, \d+%/g)].at(-1)?.[1] ?? '?'
  return { ms, transferred }
}

async function main() {
  try {
    await run('rclone', ['version'])
  } catch {
    throw new Error('rclone not found: apt-get install -y rclone')
  }
  const [a, b, c] = [await startMinio(), await startMinio(), await startMinio()]
  const env = { ...rcloneEnv('a', a), ...rcloneEnv('c', c) }
  const [sa, sb, sc] = [s3Of(a), s3Of(b), s3Of(c)]
  const rows: {
    size_mb: number
    fado_ms: number
    rclone_ms: number
    fado_mb_s: number
    rclone_mb_s: number
    ratio: number
  }[] = []
  try {
    for (const size of SIZES_MB) {
      const bucket = `src-${size}`
      await sa.makeBucket(bucket)
      for (let i = 0; i < size / OBJECT_MB; i++)
        await putBytes(
          a,
          bucket,
          `obj-${String(i).padStart(3, '0')}`,
          randomData(OBJECT_MB * 1024 * 1024),
        )
      const fado: number[] = []
      const rclone: number[] = []
      for (let r = 0; r < REPEATS; r++) {
        // Alternate who goes first, so neither always gets the warmer cache.
        const steps = [
          async () => {
            await sb.removeBucket(bucket)
            const t0 = performance.now()
            await syncReplica(bucket, sa, sb, { concurrency: CONCURRENCY, stats: emptyStats() })
            fado.push(performance.now() - t0)
          },
          async () => {
            await sc.removeBucket(bucket)
            await sc.makeBucket(bucket)
            rclone.push((await runRclone(bucket, env)).ms)
          },
        ]
        if (r % 2 === 1) steps.reverse()
        for (const step of steps) await step()
      }
      const [f, rc] = [median(fado), median(rclone)]
      rows.push({
        size_mb: size,
        fado_ms: Math.round(f),
        rclone_ms: Math.round(rc),
        fado_mb_s: +(size / (f / 1000)).toFixed(1),
        rclone_mb_s: +(size / (rc / 1000)).toFixed(1),
        ratio: +(rc / f).toFixed(2),
      })
      console.error(`size ${size} MB: fado ${Math.round(f)} ms, rclone ${Math.round(rc)} ms`)
    }

    // Incremental: both destinations hold src-150; change one object on A.
    const bucket = 'src-150'
    await putBytes(a, bucket, 'obj-007', randomData(OBJECT_MB * 1024 * 1024))
    const stats = emptyStats()
    let t0 = performance.now()
    await syncReplica(bucket, sa, sb, { concurrency: CONCURRENCY, stats })
    const fadoInc = {
      ms: Math.round(performance.now() - t0),
      objects: stats.objects_copied,
      bytes: stats.bytes_copied,
    }
    t0 = performance.now()
    const rcloneInc = await runRclone(bucket, env)
    const incremental = {
      fado: fadoInc,
      rclone: { ms: Math.round(rcloneInc.ms), transferred: rcloneInc.transferred },
    }

    const result = {
      machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()}, node ${process.version}`,
      date: new Date().toISOString(),
      rclone: (await run('rclone', ['version'])).stdout.split('\n')[0],
      object_mb: OBJECT_MB,
      repeats: REPEATS,
      concurrency: CONCURRENCY,
      full: rows,
      incremental,
    }
    fs.mkdirSync('bench/results', { recursive: true })
    fs.writeFileSync('bench/results/replication.json', JSON.stringify(result, null, 2) + '\n')
    console.log(`Machine: ${result.machine}\nDate: ${result.date}\nrclone: ${result.rclone}\n`)
    console.log('| data | FaDO | rclone sync | FaDO MB/s | rclone MB/s | rclone time / FaDO time |')
    console.log('|---|---|---|---|---|---|')
    for (const r of rows)
      console.log(
        `| ${r.size_mb} MB | ${r.fado_ms} ms | ${r.rclone_ms} ms | ${r.fado_mb_s} | ${r.rclone_mb_s} | ${r.ratio} |`,
      )
    console.log(
      `\nIncremental (1 of 15 objects changed): FaDO ${fadoInc.ms} ms, ${fadoInc.objects} object, ${(fadoInc.bytes / 2 ** 20).toFixed(1)} MiB moved; rclone ${incremental.rclone.ms} ms, ${incremental.rclone.transferred} moved`,
    )
  } finally {
    await Promise.all([a, b, c].map((m) => m.destroy()))
  }
}

await main()
