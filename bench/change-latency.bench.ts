/**
 * Change propagation: an object written directly on a master MinIO → visible (same ETag) on every
 * replica, through FaDO (webhook → /api/notify → key sync). Three local MinIO servers, a bucket
 * with two replicas, N small writes one after another; p50/p99/max of the time from the master's
 * PUT returning to the last replica showing the object.
 *
 *   npm run bench:latency        (N=100 by default; N=… to change)
 * Writes bench/results/change-latency.json.
 */
import { defaultConfig } from '../control/config.js'
import fs from 'node:fs'
import os from 'node:os'
import { createLogger } from '../edge/log.js'
import { startControl } from '../control/main.js'
import { MINIO_PASSWORD, MINIO_USER, startMinios } from '../test/helpers/minio.js'
import { freePort } from '../test/helpers/ports.js'
import { putBytes, randomData, s3Of } from '../test/helpers/storage.js'

const N = Number(process.env.N ?? 100)
const TOKEN = 'bench-admin-token-0123456789'

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? NaN
}

async function main() {
  const apiPort = await freePort()
  // The admin token may deliver events for every deployment (a notify token only for its own).
  const webhook = { endpoint: `http://127.0.0.1:${apiPort}/api/notify`, token: TOKEN }
  const minios = await startMinios(3, [webhook, webhook, webhook])
  const fado = await startControl(
    defaultConfig({ apiPort, edgePort: 0, database: 'memory', adminToken: TOKEN }),
    createLogger(undefined, true),
    true,
  )
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${fado.apiUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}` },
      ...(body ? { body: JSON.stringify(body) } : {}),
    })
    return (await res.json()) as any // eslint-disable-line @typescript-eslint/no-explicit-any
  }
  try {
    const cluster = await api('POST', '/api/clusters', { name: 'bench' })
    const ids: number[] = []
    for (const [i, m] of minios.entries()) {
      ids.push(
        (
          await api('POST', '/api/storage-deployments', {
            alias: `m${i}`,
            cluster_id: cluster.cluster_id,
            endpoint: m.endpoint,
            access_key: MINIO_USER,
            secret_key: MINIO_PASSWORD,
          })
        ).storage_id,
      )
    }
    const bucket = await api('POST', '/api/buckets', {
      name: 'latency',
      storage_id: ids[0],
      replica_locations: ids.slice(1),
    })
    for (;;) {
      const b = await api('GET', `/api/buckets/${bucket.bucket_id}`)
      if (
        b.replicas.length === 2 &&
        b.replicas.every((r: { status: string }) => r.status === 'synced')
      )
        break
      await new Promise((r) => setTimeout(r, 50))
    }
    const [master, r1, r2] = minios as [(typeof minios)[0], (typeof minios)[0], (typeof minios)[0]]
    const replicas = [s3Of(r1), s3Of(r2)]
    const samples: number[] = []
    for (let i = 0; i < N; i++) {
      const key = `obj-${i}`
      const etag = await putBytes(master, 'latency', key, randomData(4096))
      const t0 = performance.now()
      for (;;) {
        const seen = await Promise.all(replicas.map((s) => s.stat('latency', key)))
        if (seen.every((o) => o?.etag === etag)) break
        if (performance.now() - t0 > 10_000) throw new Error(`${key} not replicated within 10 s`)
        await new Promise((r) => setTimeout(r, 5))
      }
      samples.push(performance.now() - t0)
    }
    const result = {
      machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}`,
      date: new Date().toISOString(),
      writes: N,
      object_bytes: 4096,
      replicas: 2,
      p50_ms: +pct(samples, 50).toFixed(1),
      p99_ms: +pct(samples, 99).toFixed(1),
      max_ms: +Math.max(...samples).toFixed(1),
      mean_ms: +(samples.reduce((a, b) => a + b, 0) / samples.length).toFixed(1),
    }
    fs.mkdirSync('bench/results', { recursive: true })
    fs.writeFileSync('bench/results/change-latency.json', JSON.stringify(result, null, 2) + '\n')
    console.log(JSON.stringify(result, null, 2))
  } finally {
    await fado.close()
    await Promise.all(minios.map((m) => m.destroy()))
  }
}

await main()
