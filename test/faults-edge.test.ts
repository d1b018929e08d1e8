/**
 * Faults at the edge, injected for real against `fado standalone`'s own edge: FaaS endpoints that
 * refuse connections beside a healthy one under POST and PUT invocations with bodies of several
 * sizes (a retry must send the whole body, and a failure is charged to the endpoint that failed).
 */
import { createHash, randomBytes } from 'node:crypto'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFunctionServer, type RunningFunctionServer } from '../control/demo/function-server.js'
import { startTestControl, type TestControl } from './helpers/control.js'
import { startMinio, type TestMinio } from './helpers/minio.js'
import { freePort, waitFor } from './helpers/ports.js'
import { s3Of, trackBody } from './helpers/storage.js'

let minio: TestMinio
let fado: TestControl
let good: RunningFunctionServer
let ids: { good: number; dead: number[] }

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex')

beforeAll(async () => {
  minio = await startMinio()
  fado = await startTestControl({ kind: 'pglite-memory' })
  good = await startFunctionServer({ cluster: 'site', storage: s3Of(minio) })
  const cluster = (await fado.api('POST', '/api/clusters', { name: 'site' })).body.cluster_id
  const storage = (
    await fado.api('POST', '/api/storage-deployments', trackBody(minio, 'm', cluster))
  ).body.storage_id
  const faas = async (url: string) =>
    (await fado.api('POST', '/api/faas-deployments', { cluster_id: cluster, url })).body
      .faas_id as number
  // Four endpoints nothing listens on (connections refused), one healthy.
  const dead: number[] = []
  for (let i = 0; i < 4; i++) dead.push(await faas(`http://127.0.0.1:${await freePort()}`))
  ids = { good: await faas(good.url), dead }
  expect(
    (await fado.api('POST', '/api/buckets', { name: 'bodies', storage_id: storage })).status,
  ).toBe(201)
  // Enough retries and budget that every request can pass every dead endpoint.
  const settings = await fado.api('PUT', '/api/load-balancer/settings', {
    retries: 6,
    retry_budget: 1,
  })
  expect(settings.status, settings.text).toBe(200)
  const res = await fado.api('PUT', '/api/load-balancer/route-overrides', {
    bodies: { policy: 'round_robin', faas_ids: [...ids.dead, ids.good] },
  })
  expect(res.status, res.text).toBe(200)
  await waitFor('the edge to serve the routes', async () => {
    const edge = (await fado.api('GET', '/api/load-balancer')).body.edge
    return edge?.snapshot_version === fado.running.publisher.current?.version
  })
}, 120_000)

afterAll(async () => {
  await fado?.close()
  await good?.close()
  await minio?.destroy()
})

interface UpstreamReport {
  id: number
  healthy: boolean
  consecutive_failures: number
}
const upstreams = async (): Promise<UpstreamReport[]> => {
  const res = await request(`${fado.running.edgeUrl}/_fado/status`)
  return ((await res.body.json()) as { upstreams: UpstreamReport[] }).upstreams
}

describe('a body-carrying invocation beside endpoints that refuse connections', () => {
  it('is answered every time with its whole body, and the healthy endpoint is never blamed', async () => {
    const sizes = [1, 1024, 60 * 1024, 65 * 1024, 1024 * 1024, 8 * 1024 * 1024]
    const failures: string[] = []
    let sent = 0
    // Over several seconds, so ejected endpoints come back and are tried (and refuse) again.
    const until = Date.now() + 6_000
    while (Date.now() < until || sent < 48) {
      for (const method of ['POST', 'PUT'] as const) {
        for (const size of sizes) {
          const body = randomBytes(size)
          sent++
          try {
            const res = await request(`${fado.running.edgeUrl}/function/echo`, {
              method,
              headers: { 'x-fado-bucket': 'bodies', 'content-type': 'application/octet-stream' },
              body,
              headersTimeout: 10_000,
              bodyTimeout: 10_000,
            })
            const echoed = Buffer.from(await res.body.arrayBuffer())
            if (res.statusCode !== 200 || sha(echoed) !== sha(body))
              failures.push(`${method} ${size} B: ${res.statusCode} ${echoed.length} B back`)
          } catch (err) {
            failures.push(`${method} ${size} B: ${(err as Error).message}`)
          }
        }
      }
    }
    expect(failures, failures.join('\n')).toEqual([])
    const report = await upstreams()
    const healthy = report.find((u) => u.id === ids.good)
    expect(healthy).toMatchObject({ healthy: true, consecutive_failures: 0 })
    // The dead endpoints were really tried (and so each request could have lost its body).
    const refused = report.filter((u) => ids.dead.includes(u.id) && u.consecutive_failures > 0)
    expect(refused.length).toBe(ids.dead.length)
    expect(good.hits.get('/function/echo')).toBe(sent)
    expect(sent).toBeGreaterThanOrEqual(48)
  }, 120_000)
})
