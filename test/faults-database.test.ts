/**
 * PostgreSQL faults, injected for real on a server of this test's own: SIGSTOP of the
 * postmaster and every backend for 20 s while the API and the edge are under load, then SIGCONT;
 * then a restart. The API must answer 503 database_unavailable within about its timeout (never
 * hang, never 500), invocations must not fail at all (the edge never waits on the database), and
 * everything must work again afterwards without restarting FaDO.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFunctionServer, type RunningFunctionServer } from '../platform/function-server.js'
import { startTestControl, type TestControl } from './helpers/control.js'
import { sleep } from './helpers/faults.js'
import { startMinio, type TestMinio } from './helpers/minio.js'
import { waitFor } from './helpers/ports.js'
import { createDatabase, startPostgres, type TestPostgres } from './helpers/postgres.js'
import { s3Of, trackBody } from './helpers/storage.js'

const DB_TIMEOUT = 5_000
const PAUSE_MS = 20_000

let postgres: TestPostgres
let fado: TestControl
let minio: TestMinio
let fn: RunningFunctionServer

beforeAll(async () => {
  postgres = await startPostgres()
  minio = await startMinio()
  fado = await startTestControl(
    { kind: 'postgres', url: await createDatabase(postgres.url) },
    { config: { dbTimeout: DB_TIMEOUT } },
  )
  const cluster = (await fado.api('POST', '/api/clusters', { name: 'site' })).body.cluster_id
  const storage = await fado.api('POST', '/api/storage-deployments', trackBody(minio, 'm', cluster))
  expect(storage.status, storage.text).toBe(201)
  fn = await startFunctionServer({ cluster: 'site', storage: s3Of(minio) })
  await fado.api('POST', '/api/faas-deployments', { cluster_id: cluster, url: fn.url })
  const bucket = await fado.api('POST', '/api/buckets', {
    name: 'steady',
    storage_id: storage.body.storage_id,
  })
  expect(bucket.status, bucket.text).toBe(201)
}, 120_000)

afterAll(async () => {
  await fado?.close()
  await fn?.close()
  await minio?.destroy()
  await postgres?.stop()
})

interface Call {
  at: number
  ms: number
  status: number
  code: string | undefined
}

/** Runs `workers` loops of `call` until stopped, recording every answer. */
function load(workers: number, call: () => Promise<{ status: number; code?: string }>) {
  const calls: Call[] = []
  let running = true
  const loops = Array.from({ length: workers }, async () => {
    while (running) {
      const at = performance.now()
      let status = 0
      let code: string | undefined
      try {
        ;({ status, code } = await call())
      } catch (err) {
        code = (err as Error).message
      }
      calls.push({ at, ms: performance.now() - at, status, code })
      await sleep(20)
    }
  })
  return {
    calls,
    async stop() {
      running = false
      await Promise.all(loops)
    },
  }
}

const invoke = async () => {
  const res = await fetch(`${fado.running.edgeUrl}/function/nodeinfo`, {
    headers: { 'X-FaDO-Bucket': 'steady' },
    signal: AbortSignal.timeout(5_000),
  })
  await res.arrayBuffer()
  return { status: res.status }
}
const apiRead = async () => {
  const res = await fado.api('GET', '/api/clusters')
  return { status: res.status, code: res.body?.error?.code }
}

describe('PostgreSQL SIGSTOPped for 20 s under API and invocation load', () => {
  it('API: 503 database_unavailable within ~6 s; invocations: none fails; all recovers after SIGCONT', async () => {
    const invocations = load(4, invoke)
    const reads = load(2, apiRead)
    await sleep(1_000)
    const pausedAt = performance.now()
    postgres.pause()
    const [health, writeDuringPause] = await Promise.all([
      (async () => {
        const t = performance.now()
        const res = await fado.api('GET', '/healthz', undefined, null)
        return { ...res, ms: performance.now() - t }
      })(),
      (async () => {
        const t = performance.now()
        const res = await fado.api('POST', '/api/clusters', { name: 'during-pause' })
        return { ...res, ms: performance.now() - t }
      })(),
    ])
    await sleep(Math.max(0, PAUSE_MS - (performance.now() - pausedAt)))
    postgres.resume()
    const resumedAt = performance.now()
    await waitFor(
      'the API to answer 200 again',
      async () => (await apiRead()).status === 200,
      15_000,
    )
    const recoveredMs = performance.now() - resumedAt
    await sleep(1_000)
    await invocations.stop()
    await reads.stop()

    // The edge never waited on the database.
    expect(invocations.calls.length).toBeGreaterThan(200)
    expect(invocations.calls.filter((c) => c.status !== 200)).toEqual([])

    // /healthz and a write during the pause: 503 in about the timeout, nothing else.
    expect(health.status).toBe(503)
    expect(health.body.error.code).toBe('database_unavailable')
    expect(health.ms).toBeLessThan(DB_TIMEOUT + 1_500)
    expect(writeDuringPause.status).toBe(503)
    expect(writeDuringPause.body.error.code).toBe('database_unavailable')
    expect(writeDuringPause.ms).toBeLessThan(DB_TIMEOUT + 1_500)

    // Every API read while paused answered, as 503 database_unavailable, within ~6 s.
    const during = reads.calls.filter((c) => c.at >= pausedAt && c.at + c.ms <= resumedAt)
    expect(during.length).toBeGreaterThan(3)
    for (const c of during) {
      expect(c.status).toBe(503)
      expect(c.code).toBe('database_unavailable')
      expect(c.ms).toBeLessThan(DB_TIMEOUT + 1_500)
    }
    expect(reads.calls.filter((c) => c.status >= 500 && c.status !== 503)).toEqual([])
    const first503 = reads.calls.find((c) => c.status === 503)
    expect(first503 && first503.at + first503.ms - pausedAt).toBeLessThan(DB_TIMEOUT + 1_500)

    // Full recovery without restarting FaDO: reads, writes, health.
    expect(recoveredMs).toBeLessThan(10_000)
    const write = await fado.api('POST', '/api/clusters', { name: 'after-pause' })
    expect(write.status, write.text).toBe(201)
    expect((await fado.api('GET', '/healthz', undefined, null)).status).toBe(200)
    // The write refused during the pause left nothing behind.
    const names = (await fado.api('GET', '/api/clusters')).body.map((c: { name: string }) => c.name)
    expect(names).not.toContain('during-pause')
  }, 90_000)

  it('PostgreSQL restarted: FaDO recovers on its own, invocations unaffected', async () => {
    const invocations = load(2, invoke)
    await postgres.restart()
    await waitFor(
      'the API to answer 200 again',
      async () => (await apiRead()).status === 200,
      20_000,
    )
    await invocations.stop()
    expect(invocations.calls.filter((c) => c.status !== 200)).toEqual([])
    const write = await fado.api('POST', '/api/clusters', { name: 'after-restart' })
    expect(write.status, write.text).toBe(201)
    // Snapshots publish again: a route change made now reaches the edge.
    const faas = await fado.api('GET', '/api/faas-deployments')
    const moved = await fado.api('PUT', `/api/faas-deployments/${faas.body[0].faas_id}`, {
      url: `${fn.url}/moved`,
    })
    expect(moved.status, moved.text).toBe(200)
    await waitFor('the edge to serve the new route', async () => {
      const routes = fado.running.publisher.current?.routes
      return routes?.steady?.upstreams[0]?.url === `${fn.url}/moved`
    })
  }, 60_000)
})
