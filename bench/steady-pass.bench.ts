/**
 * What a full pass costs when nothing changed: a bucket of N objects of 100 bytes on one MinIO,
 * replicated to a second by control in this process (embedded database in memory); the first
 * pass (copy, adopt, record), then two steady passes asked for with "Check now", each timed as
 * the replica records it (last_full_pass_ms). PROFILE=1 writes a CPU profile of the steady
 * passes to bench/results/steady-pass.cpuprofile.
 *
 *   npm run bench:steady-pass     (N=50000 by default)
 * Writes bench/results/steady-pass.json.
 */
import fs from 'node:fs'
import { Session } from 'node:inspector/promises'
import os from 'node:os'
import { startTestControl } from '../test/helpers/control.js'
import { startMinios } from '../test/helpers/minio.js'
import { waitFor } from '../test/helpers/ports.js'
import { fillBucket, s3Of, trackBody } from '../test/helpers/storage.js'

const N = Number(process.env.N ?? 50_000)
const minios = await startMinios(2)
const fado = await startTestControl(
  { kind: 'pglite-memory' },
  { config: { fullPassInterval: 3_600_000 } },
)
try {
  await s3Of(minios[0]!).makeBucket('big')
  await fillBucket(minios[0]!, 'big', N)
  const cluster = (await fado.api('POST', '/api/clusters', { name: 'site' })).body.cluster_id
  const ids: number[] = []
  for (const [i, m] of minios.entries())
    ids.push(
      (
        await fado.api('POST', '/api/storage-deployments', {
          ...trackBody(m, `m${i}`, cluster),
          configure_webhook: false,
        })
      ).body.storage_id,
    )
  const bucket = (
    (await fado.api('GET', '/api/buckets')).body as { bucket_id: number; name: string }[]
  ).find((b) => b.name === 'big')!
  const replica = async () =>
    (await fado.api('GET', `/api/buckets/${bucket.bucket_id}`)).body.replicas[0] as {
      status: string
      last_full_pass_at: string | null
      last_full_pass_ms: number
    }
  await fado.api('PUT', `/api/buckets/${bucket.bucket_id}`, { replica_locations: [ids[1]] })
  await waitFor(
    'the first pass',
    async () => (await replica())?.last_full_pass_at != null,
    30 * 60_000,
  )
  const first = (await replica()).last_full_pass_ms
  const session = new Session()
  if (process.env.PROFILE) {
    session.connect()
    await session.post('Profiler.enable')
    await session.post('Profiler.start')
  }
  const steady: number[] = []
  for (let i = 0; i < 2; i++) {
    const before = (await replica()).last_full_pass_at
    await fado.api('POST', `/api/buckets/${bucket.bucket_id}/sync`)
    await waitFor(
      'a steady pass',
      async () => (await replica()).last_full_pass_at !== before,
      30 * 60_000,
    )
    steady.push((await replica()).last_full_pass_ms)
  }
  if (process.env.PROFILE) {
    const { profile } = await session.post('Profiler.stop')
    fs.writeFileSync('bench/results/steady-pass.cpuprofile', JSON.stringify(profile))
  }
  const rate = (ms: number) => Math.round(N / (ms / 1000))
  const result = {
    machine: `${os.availableParallelism()} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Linux ${os.release()}, node ${process.version}`,
    date: new Date().toISOString(),
    objects: N,
    first_pass: { ms: first, objects_per_s: rate(first) },
    steady_passes: steady.map((ms) => ({ ms, objects_per_s: rate(ms) })),
  }
  fs.mkdirSync('bench/results', { recursive: true })
  fs.writeFileSync('bench/results/steady-pass.json', JSON.stringify(result, null, 2) + '\n')
  console.log(JSON.stringify(result, null, 2))
} finally {
  await fado.close()
  await Promise.all(minios.map((m) => m.destroy()))
}
