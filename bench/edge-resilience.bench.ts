/**
 * The edge under load while things change, with `fado edge` (the real CLI process) fed by a
 * control over long-poll, wrk -t1 -c50 saturating it, three nginx upstreams:
 *  A. a route change every 100 ms: time from the API call to the edge serving the new version,
 *     and failed requests;
 *  B. one of three upstreams killed (SIGKILL): failed requests, and time until the edge reports
 *     it unhealthy;
 *  C. control gone for 30 s: failed requests at the edge (it serves its last good snapshot).
 * Writes bench/results/edge-resilience.json.   npm run bench:resilience
 */
import { defaultConfig } from '../control/config.js'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createLogger } from '../edge/log.js'
import { startControl } from '../control/main.js'
import { freePort, waitFor } from '../test/helpers/ports.js'
import { startFadoEdge } from './fado.js'
import { processes, requireTools, run, runWrk, startUpstream } from './lib.js'

const TOKEN = 'bench-admin-token-0123456789'
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fado-bench-resilience-'))
const { start, stop, children } = processes()
const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)] ??
  NaN
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** An edge-scope token for the edge (it may only read route snapshots). */
async function edgeToken(apiUrl: string): Promise<string> {
  const res = await fetch(`${apiUrl}/api/tokens`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'bench-edge', scope: 'edge' }),
  })
  return ((await res.json()) as { token: string }).token
}

async function main() {
  await requireTools(['wrk', 'nginx'])
  await run(process.execPath, ['--import', 'tsx', 'scripts/build.ts'])
  const ups = await Promise.all([1, 2, 3].map((i) => startUpstream(start, dir, i)))
  const control = await startControl(
    defaultConfig({
      apiPort: await freePort(),
      database: 'memory',
      adminToken: TOKEN,
      dataDir: path.join(dir, 'control'),
    }),
    createLogger(undefined, true),
    false,
  )
  const api = async (method: string, p: string, body?: unknown) => {
    const res = await fetch(`${control.apiUrl}${p}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}` },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
    return (await res.json()) as any // eslint-disable-line @typescript-eslint/no-explicit-any
  }
  const cluster = await api('POST', '/api/clusters', { name: 'bench' })
  const faas: number[] = []
  for (const u of ups)
    faas.push(
      (await api('POST', '/api/faas-deployments', { cluster_id: cluster.cluster_id, url: u.url }))
        .faas_id,
    )
  // A bucket needs a storage deployment; rows stand in for a MinIO here (routing is what is measured).
  await control.db.query(
    `INSERT INTO storage_deployments (cluster_id, minio_deployment_id, alias, endpoint, access_key, secret_key, use_ssl) VALUES ($1, 'bench', 'bench', '127.0.0.1:1', 'a', 's', false)`,
    [cluster.cluster_id],
  )
  await control.db.query(
    `INSERT INTO buckets (storage_id, name) SELECT storage_id, 'bench' FROM storage_deployments`,
  )
  await control.publisher.publishNow()

  const token = await edgeToken(control.apiUrl)
  const { proc: edge, url: edgeUrl } = await startFadoEdge(start, dir, control.apiUrl, token)
  // The full status (upstream health) is for the edge's own token.
  const status = async () =>
    (await (
      await fetch(`${edgeUrl}/_fado/status`, { headers: { authorization: `Bearer ${token}` } })
    ).json()) as {
      snapshot_version: number
      applied_at: string
      upstreams: { id: number; healthy: boolean }[]
    }
  await waitFor(
    'the edge to serve the bucket',
    async () =>
      (await status()).snapshot_version > 0 &&
      (await fetch(edgeUrl, { headers: { 'X-FaDO-Bucket': 'bench' } })).status === 200,
  )
  const header = 'X-FaDO-Bucket: bench'
  await runWrk(edgeUrl + '/', header, 2) // warm up

  // A. Route change every 100 ms under load.
  const load = runWrk(edgeUrl + '/', header, 10)
  const latencies: number[] = []
  const t0 = Date.now()
  for (let i = 0; Date.now() - t0 < 9_000; i++) {
    const tick = Date.now()
    await api('PUT', '/api/load-balancer/route-overrides', {
      bench: { faas_ids: i % 2 === 0 ? faas.slice(0, 2) : faas },
    })
    const version = (await api('GET', '/api/load-balancer')).snapshot_version as number
    // Measured to when the edge swapped the version in (its applied_at), not to when a status
    // request squeezed through the saturated edge.
    let seen = await status()
    while (seen.snapshot_version < version) {
      if (Date.now() - tick > 5_000) throw new Error('the edge did not get the change within 5 s')
      seen = await status()
    }
    latencies.push(
      seen.snapshot_version === version ? Date.parse(seen.applied_at) - tick : Date.now() - tick,
    )
    await sleep(Math.max(0, 100 - (Date.now() - tick)))
  }
  const reconfig = await load
  await api('PUT', '/api/load-balancer/route-overrides', {})
  await waitFor(
    'all three upstreams routed',
    async () => (await api('GET', '/api/load-balancer')).routes.bench.upstreams.length === 3,
  )
  await sleep(300)

  // B. One of three upstreams killed under load.
  const killLoad = runWrk(edgeUrl + '/', header, 10)
  await sleep(3_000)
  const victim = faas[1]!
  const killedAt = Date.now()
  await stop(ups[1]!.proc, 'SIGKILL')
  let ejectedAfterMs = NaN
  for (;;) {
    const health = (await status()).upstreams.find((u) => u.id === victim)
    if (health && !health.healthy) {
      ejectedAfterMs = Date.now() - killedAt
      break
    }
    if (Date.now() - killedAt > 10_000) break
    await sleep(10)
  }
  const killed = await killLoad

  // C. Control down for 30 s under load.
  const downLoad = runWrk(edgeUrl + '/', header, 30)
  await sleep(500)
  await control.close()
  await sleep(3_000)
  const sample = await Promise.all(
    Array.from({ length: 5 }, async () => {
      const r = await fetch(edgeUrl, { headers: { 'X-FaDO-Bucket': 'bench' } })
      return `${r.status} ${r.headers.get('x-fado-cluster') ?? ''} ${(await r.text()).slice(0, 120)}`
    }),
  )
  console.error('during control outage:', sample, JSON.stringify((await status()).upstreams))
  const down = await downLoad
  const servedVersion = (await status()).snapshot_version

  const result = {
    machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}`,
    date: new Date().toISOString(),
    setup: 'fado edge process (long-poll from control), wrk -t1 -c50, 3 nginx upstreams',
    reconfiguration: {
      changes: latencies.length,
      p50_ms: pct(latencies, 50),
      p99_ms: pct(latencies, 99),
      max_ms: Math.max(...latencies),
      load: reconfig,
    },
    upstream_killed: {
      ejected_after_ms: ejectedAfterMs,
      load: killed,
      failed_pct: +((100 * killed.errors) / Math.max(1, killed.requests)).toFixed(3),
    },
    control_down_30s: { load: down, snapshot_version_served: servedVersion },
  }
  fs.mkdirSync('bench/results', { recursive: true })
  fs.writeFileSync('bench/results/edge-resilience.json', JSON.stringify(result, null, 2) + '\n')
  console.log(JSON.stringify(result, null, 2))
  await stop(edge)
}

try {
  await main()
} finally {
  for (const c of children) await stop(c)
  fs.rmSync(dir, { recursive: true, force: true })
}
// Leftover handles (keep-alive sockets, timers) must not keep a finished benchmark alive.
process.exit(0)
