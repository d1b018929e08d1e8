/**
 * One endpoint turns slow (issue 25), after Linkerd's "Beyond round robin" test (11 endpoints, one
 * held at 2 s for 30 s, 1 s client timeout), scaled to this machine: `fado standalone`, one cluster
 * with five FaaS endpoints answering in 15–25 ms, one of which answers in 1 s from second 8 to
 * second 23 of a 30 s run; 8 clients in closed loops with a 1 s timeout. Every policy in the same
 * run, one after the other, each with fresh function servers and edge state (a restarted FaDO).
 * Reports per policy: invocations, share answered within 1 s, p50/p99/p99.9, and how many calls
 * the slow endpoint received while slow and after it recovered. Writes
 * bench/results/slow-endpoint.json.
 *
 *   npm run bench:slow-endpoint          (SECONDS=30 VUS=8 ROUNDS=1)
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { defaultConfig } from '../control/config.js'
import {
  spawnFunctionServer,
  type FunctionServerProcess,
} from '../platform/function-server-process.js'
import { freePort } from '../platform/ports.js'
import { startControl } from '../control/main.js'
import { createLogger } from '../edge/log.js'
import { startMinio } from '../test/helpers/minio.js'
import { s3Of } from '../test/helpers/storage.js'
import { percentile, runLoad } from './load-generator.js'

const SECONDS = Number(process.env.SECONDS ?? 30)
const VUS = Number(process.env.VUS ?? 8)
const ROUNDS = Number(process.env.ROUNDS ?? 1)
const SLOW_FROM_S = (8 / 30) * SECONDS
const SLOW_UNTIL_S = (23 / 30) * SECONDS
const TIMEOUT_MS = 1_000
const POLICIES = ['round_robin', 'least_conn', 'fastest'] as const
const TOKEN = 'bench-admin-token-0123456789'
const PATH = '/function/nodeinfo'

async function runPolicy(policy: string, minio: Awaited<ReturnType<typeof startMinio>>) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fado-bench-slow-'))
  const fado = await startControl(
    defaultConfig({
      apiPort: await freePort(),
      edgePort: await freePort(),
      database: 'memory',
      adminToken: TOKEN,
      dataDir,
      workers: Math.max(1, os.availableParallelism()),
    }),
    createLogger(undefined, true),
    true,
  )
  const api = async (method: string, p: string, body?: unknown) => {
    const res = await fetch(`${fado.apiUrl}${p}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}` },
      ...(body ? { body: JSON.stringify(body) } : {}),
    })
    if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${await res.text()}`)
    return (await res.json()) as any // eslint-disable-line @typescript-eslint/no-explicit-any
  }
  const servers: FunctionServerProcess[] = []
  try {
    const cluster = await api('POST', '/api/clusters', { name: 'site' })
    const storage = await api('POST', '/api/storage-deployments', {
      alias: 'm',
      cluster_id: cluster.cluster_id,
      endpoint: minio.endpoint,
      access_key: s3Of(minio).conn.access_key,
      secret_key: s3Of(minio).conn.secret_key,
      configure_webhook: false,
    })
    // A bucket of its own per policy (the MinIO is shared: an earlier one would be imported).
    const bucket = `data-${policy.replace('_', '-')}-${Date.now()}`
    await api('POST', '/api/buckets', { name: bucket, storage_id: storage.storage_id })
    // The slow phase is set in wall-clock time, from when the load starts (below).
    const start = Date.now() + 3_000
    const faas: number[] = []
    for (let i = 0; i < 5; i++) {
      const server = await spawnFunctionServer({
        cluster: `ep${i}`,
        storage: s3Of(minio).conn,
        delayMs: 15,
        jitterMs: 10,
        ...(i === 0
          ? {
              slow: {
                from: start + SLOW_FROM_S * 1000,
                until: start + SLOW_UNTIL_S * 1000,
                delayMs: 1_000,
              },
            }
          : {}),
      })
      servers.push(server)
      faas.push(
        (
          await api('POST', '/api/faas-deployments', {
            cluster_id: cluster.cluster_id,
            url: server.url,
          })
        ).faas_id,
      )
    }
    await api('PUT', '/api/load-balancer/route-overrides', { [bucket]: { policy, faas_ids: faas } })
    await new Promise((r) => setTimeout(r, Math.max(0, start - Date.now())))
    const result = await runLoad({
      url: `${fado.edgeUrl}${PATH}`,
      headers: { 'X-FaDO-Bucket': bucket },
      vus: VUS,
      seconds: SECONDS,
      timeoutMs: TIMEOUT_MS,
    })
    const calls = result.calls
    const within = calls.filter((c) => c.ok && c.ms <= TIMEOUT_MS)
    const latencies = calls.map((c) => (c.ok ? Math.min(c.ms, TIMEOUT_MS) : TIMEOUT_MS))
    const onSlow = (from: number, until: number) =>
      calls.filter((c) => c.cluster === 'ep0' && c.at >= from * 1000 && c.at < until * 1000).length
    const row = {
      policy,
      invocations: calls.length,
      answered_within_1s_pct: +((100 * within.length) / calls.length).toFixed(3),
      late_or_failed: calls.length - within.length,
      p50_ms: +percentile(latencies, 50).toFixed(1),
      p99_ms: +percentile(latencies, 99).toFixed(1),
      p999_ms: +percentile(latencies, 99.9).toFixed(1),
      slow_endpoint_calls_before: onSlow(0, SLOW_FROM_S),
      // Calls that ended on the slow endpoint are counted only when they answered (their cluster
      // is in the answer); those that timed out are in late_or_failed.
      slow_endpoint_calls_while_slow: onSlow(SLOW_FROM_S, SLOW_UNTIL_S),
      slow_endpoint_calls_after: onSlow(SLOW_UNTIL_S, SECONDS),
      per_endpoint_after: Object.fromEntries(
        ['ep0', 'ep1', 'ep2', 'ep3', 'ep4'].map((e) => [
          e,
          calls.filter((c) => c.cluster === e && c.at >= SLOW_UNTIL_S * 1000).length,
        ]),
      ),
    }
    console.error(JSON.stringify(row))
    return row
  } finally {
    await Promise.all(servers.map((s) => s.close()))
    await fado.close()
    fs.rmSync(dataDir, { recursive: true, force: true })
  }
}

async function main() {
  const minio = await startMinio()
  const rounds: unknown[] = []
  try {
    for (let r = 0; r < ROUNDS; r++) {
      const rows = []
      for (const policy of POLICIES) rows.push(await runPolicy(policy, minio))
      rounds.push(rows)
    }
  } finally {
    await minio.destroy()
  }
  const out = {
    date: new Date().toISOString(),
    machine: `${os.cpus()[0]?.model ?? 'cpu'} × ${os.availableParallelism()}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`,
    scenario: {
      seconds: SECONDS,
      vus: VUS,
      slow_from_s: SLOW_FROM_S,
      slow_until_s: SLOW_UNTIL_S,
      timeout_ms: TIMEOUT_MS,
    },
    rounds,
  }
  fs.mkdirSync('bench/results', { recursive: true })
  fs.writeFileSync('bench/results/slow-endpoint.json', JSON.stringify(out, null, 2) + '\n')
  console.log(JSON.stringify(out, null, 2))
}

await main()
