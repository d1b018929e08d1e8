/**
 * What a burst of edge reports costs the admin API (issue 20, item 5): one edge token posts
 * BODIES reports of ENTRIES invocation figures each, 8 at a time, while an admin client asks
 * GET /api/clusters every 10 ms; the admin latency idle vs during the burst, and how many reports
 * were taken. Control runs in this process (memory database, as standalone does).
 *
 *   npm run bench:edge-stats        (BODIES=100 ENTRIES=1000)
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Pool } from 'undici'
import { defaultConfig } from '../control/config.js'
import { freePort } from '../platform/ports.js'
import { startControl } from '../control/main.js'
import { createLogger } from '../edge/log.js'
import { percentile } from './load-generator.js'

const BODIES = Number(process.env.BODIES ?? 100)
const ENTRIES = Number(process.env.ENTRIES ?? 1_000)
const TOKEN = 'bench-admin-token-0123456789'

async function main() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fado-bench-stats-'))
  const fado = await startControl(
    defaultConfig({
      apiPort: await freePort(),
      edgePort: 0,
      database: 'memory',
      adminToken: TOKEN,
      dataDir,
    }),
    createLogger(undefined, true),
    false,
  )
  const admin = new Pool(fado.apiUrl, { connections: 1 })
  const reports = new Pool(fado.apiUrl, { connections: 8 })
  try {
    const made = await admin.request({
      path: '/api/tokens',
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'burst', scope: 'edge' }),
    })
    const { token } = (await made.body.json()) as { token: string }
    const hist = Array(50).fill(0)
    hist[10] = 5
    const body = JSON.stringify({
      entries: Array.from({ length: ENTRIES }, (_, i) => ({
        bucket: `b${i}`,
        cluster: 'c',
        count: 5,
        errors: 0,
        hist,
      })),
    })
    const sample = async (ms: number, during?: Promise<unknown>) => {
      const latencies: number[] = []
      const until = Date.now() + ms
      let done = false
      void during?.then(() => (done = true))
      while (Date.now() < until && !done) {
        const t = performance.now()
        const res = await admin.request({
          path: '/api/clusters',
          method: 'GET',
          headers: { authorization: `Bearer ${TOKEN}` },
        })
        await res.body.arrayBuffer()
        latencies.push(performance.now() - t)
        await new Promise((r) => setTimeout(r, 10))
      }
      return latencies
    }
    const idle = await sample(2_000)
    const statuses: number[] = []
    const started = performance.now()
    const burst = Promise.all(
      Array.from({ length: BODIES }, async () => {
        const res = await reports.request({
          path: '/api/edge-stats',
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body,
        })
        await res.body.arrayBuffer()
        statuses.push(res.statusCode)
      }),
    )
    const busy = await sample(60_000, burst)
    await burst
    const burstMs = performance.now() - started
    const count = (code: number) => statuses.filter((s) => s === code).length
    const fmt = (xs: number[]) => ({
      samples: xs.length,
      p50_ms: +percentile(xs, 50).toFixed(1),
      p99_ms: +percentile(xs, 99).toFixed(1),
      max_ms: +Math.max(...xs).toFixed(1),
    })
    console.log(
      JSON.stringify(
        {
          date: new Date().toISOString(),
          machine: `${os.cpus()[0]?.model ?? 'cpu'} × ${os.availableParallelism()}, Node ${process.version}`,
          bodies: BODIES,
          entries: ENTRIES,
          body_bytes: body.length,
          burst_ms: Math.round(burstMs),
          statuses: Object.fromEntries([...new Set(statuses)].map((s) => [s, count(s)])),
          admin_idle: fmt(idle),
          admin_during_burst: fmt(busy),
        },
        null,
        2,
      ),
    )
  } finally {
    await admin.close()
    await reports.close()
    await fado.close()
    fs.rmSync(dataDir, { recursive: true, force: true })
  }
}

await main()
