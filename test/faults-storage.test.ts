/**
 * Storage faults, injected for real, against control on the embedded database (where a hung
 * storage call once froze everything: one PGlite connection held by a transaction):
 * - a TCP listener that accepts and never answers, tracked as a storage deployment;
 * - a tracked MinIO SIGSTOPped (port open, nothing answers) during bucket create, upload and
 *   reconcile, then SIGCONTed;
 * - a MinIO SIGKILLed mid-upload and mid-replication, then restarted.
 * Each case checks what a user sees (504 storage_timeout in time, the rest of FaDO answering
 * meanwhile, the error on the replica) and that nothing was lost or half-recorded.
 */
import fs from 'node:fs'
import path from 'node:path'
import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFunctionServer, type RunningFunctionServer } from '../platform/function-server.js'
import { startTestControl, type TestControl } from './helpers/control.js'
import { sleep, startStallingServer, timed, type StallingServer } from './helpers/faults.js'
import { startMinios, type TestMinio } from './helpers/minio.js'
import { waitFor } from './helpers/ports.js'
import { listing, putBytes, randomData, s3Of, trackBody } from './helpers/storage.js'

const STORAGE_TIMEOUT = 1_500
/** A hung call must end within the timeout plus this (scheduling, a second phase of the call). */
const SLACK = 1_500

let fado: TestControl
let minios: TestMinio[]
let fn: RunningFunctionServer
let stall: StallingServer
let dataDir: string
const ids = { cluster: 0, healthy: 0, flaky: 0, spare: 0 }

beforeAll(async () => {
  minios = await startMinios(3)
  stall = await startStallingServer()
  dataDir = fs.mkdtempSync(path.join(process.env.TMPDIR ?? '/tmp', 'fado-faults-'))
  fado = await startTestControl(
    { kind: 'pglite-memory' },
    {
      dataDir,
      config: { storageTimeout: STORAGE_TIMEOUT },
      reconciler: { retryBaseMs: 300, retryMaxMs: 1_000 },
    },
  )
  ids.cluster = (await fado.api('POST', '/api/clusters', { name: 'site' })).body.cluster_id
  const track = async (minio: TestMinio, alias: string) => {
    const res = await fado.api(
      'POST',
      '/api/storage-deployments',
      trackBody(minio, alias, ids.cluster),
    )
    expect(res.status, res.text).toBe(201)
    return res.body.storage_id as number
  }
  ids.healthy = await track(minios[0]!, 'healthy')
  ids.flaky = await track(minios[1]!, 'flaky')
  ids.spare = await track(minios[2]!, 'spare')
  // Invocations keep working while storage hangs: a function server and a routed bucket.
  fn = await startFunctionServer({ cluster: 'site', storage: s3Of(minios[0]!) })
  await fado.api('POST', '/api/faas-deployments', { cluster_id: ids.cluster, url: fn.url })
  const routed = await fado.api('POST', '/api/buckets', { name: 'routed', storage_id: ids.healthy })
  expect(routed.status, routed.text).toBe(201)
  await putBytes(minios[0]!, 'routed', 'hello.txt', Buffer.from('hello'))
}, 120_000)

afterAll(async () => {
  await fado?.close()
  await fn?.close()
  await stall?.close()
  await Promise.all((minios ?? []).map((m) => m.destroy()))
})

const buckets = async () =>
  ((await fado.api('GET', '/api/buckets')).body as { name: string }[]).map((b) => b.name).sort()

/**
 * While `slow` is in flight, the rest of FaDO must answer as usual: /healthz, an API read, and an
 * invocation through the edge. Returns the slow call's answer and duration.
 */
async function whileHanging<T>(slow: () => Promise<T>): Promise<[T, number]> {
  const pending = timed(slow)
  await sleep(300)
  const [health, healthMs] = await timed(() => fado.api('GET', '/healthz', undefined, null))
  const [clusters, apiMs] = await timed(() => fado.api('GET', '/api/clusters'))
  const [invoked, edgeMs] = await timed(() =>
    fetch(`${fado.running.edgeUrl}/function/nodeinfo`, {
      headers: { 'X-FaDO-Bucket': 'routed' },
      signal: AbortSignal.timeout(5_000),
    }),
  )
  expect(health.status).toBe(200)
  expect(clusters.status).toBe(200)
  expect(invoked.status).toBe(200)
  expect(await invoked.json()).toMatchObject({ cluster: 'site' })
  for (const ms of [healthMs, apiMs, edgeMs]) expect(ms).toBeLessThan(1_000)
  return pending
}

describe('a storage server that accepts connections and never answers', () => {
  it('tracking it answers 504 storage_timeout within the timeout; nothing is tracked', async () => {
    const before = (await fado.api('GET', '/api/storage-deployments')).body
    const [res, ms] = await whileHanging(() =>
      fado.api('POST', '/api/storage-deployments', {
        ...trackBody(minios[0]!, 'hung', ids.cluster),
        endpoint: stall.endpoint,
      }),
    )
    expect(res.status, res.text).toBe(504)
    expect(res.body.error.code).toBe('storage_timeout')
    expect(res.body.error.message).toMatch(/did not answer in time/)
    expect(ms).toBeGreaterThanOrEqual(STORAGE_TIMEOUT - 100)
    expect(ms).toBeLessThan(STORAGE_TIMEOUT + SLACK)
    expect(stall.accepted()).toBeGreaterThan(0) // the fault was really hit
    expect((await fado.api('GET', '/api/storage-deployments')).body).toEqual(before)
  })
})

describe('a tracked MinIO SIGSTOPped', () => {
  it('bucket create: 504 within the timeout, the rest of FaDO answers meanwhile, nothing created', async () => {
    const before = await buckets()
    minios[1]!.pause()
    try {
      const [res, ms] = await whileHanging(() =>
        fado.api('POST', '/api/buckets', { name: 'on-hung-storage', storage_id: ids.flaky }),
      )
      expect(res.status, res.text).toBe(504)
      expect(res.body.error.code).toBe('storage_timeout')
      expect(ms).toBeLessThan(STORAGE_TIMEOUT + SLACK)
      expect(await buckets()).toEqual(before)
    } finally {
      minios[1]!.resume()
    }
    // Once it answers again, the same call works.
    const again = await fado.api('POST', '/api/buckets', {
      name: 'on-hung-storage',
      storage_id: ids.flaky,
    })
    expect(again.status, again.text).toBe(201)
    expect(await s3Of(minios[1]!).bucketExists('on-hung-storage')).toBe(true)
  })

  it('upload (raw and multipart): 504 within the timeout, nothing recorded, no spool file left', async () => {
    // More than loopback's socket buffers take (≤ 6 MiB received + 4 MiB sent): with a smaller
    // body the stopped server's kernel can hold all of it, and the server, once resumed, completes
    // a PUT whose client gave up long ago (seen once in CI with 8 MiB).
    const data = randomData(32 * 1024 * 1024)
    minios[1]!.pause()
    try {
      const [raw, rawMs] = await whileHanging(() =>
        fado.fetch('/api/objects?path=on-hung-storage/raw.bin', {
          method: 'PUT',
          body: new Uint8Array(data),
        }),
      )
      expect(raw.status).toBe(504)
      expect(((await raw.json()) as { error: { code: string } }).error.code).toBe('storage_timeout')
      expect(rawMs).toBeLessThan(STORAGE_TIMEOUT + SLACK)

      const form = new FormData()
      form.set('bucket', 'on-hung-storage')
      form.set('file', new Blob([new Uint8Array(data)]), 'form.bin')
      const [multipart, formMs] = await timed(() =>
        fado.fetch('/api/objects', { method: 'POST', body: form }),
      )
      expect(multipart.status).toBe(504)
      expect(formMs).toBeLessThan(STORAGE_TIMEOUT + SLACK + 1_000) // spooling 32 MiB first
    } finally {
      minios[1]!.resume()
    }
    expect((await fado.api('GET', '/api/objects?bucket=on-hung-storage')).body.objects).toEqual([])
    expect(fs.readdirSync(path.join(dataDir, 'spool'))).toEqual([])
    expect(await listing(minios[1]!, 'on-hung-storage')).toEqual({})
  })

  it('reconcile: the replica shows the timeout, other buckets keep replicating, then it converges', async () => {
    const files = Array.from({ length: 5 }, (_, i) => [`obj-${i}`, randomData(200_000)] as const)
    const created = await fado.api('POST', '/api/buckets', {
      name: 'replica-hangs',
      storage_id: ids.healthy,
    })
    expect(created.status, created.text).toBe(201)
    for (const [key, data] of files) await putBytes(minios[0]!, 'replica-hangs', key, data)
    minios[1]!.pause()
    try {
      await fado.api('PUT', `/api/buckets/${created.body.bucket_id}`, {
        replica_locations: [ids.flaky],
      })
      await waitFor(
        'the replica on the hung MinIO to show the timeout',
        async () => {
          const b = (await fado.api('GET', `/api/buckets/${created.body.bucket_id}`)).body
          return (
            b.replicas[0]?.status === 'error' && /did not answer in time/.test(b.replicas[0].error)
          )
        },
        STORAGE_TIMEOUT * 4 + 5_000,
      )
      // Meanwhile another bucket replicates to healthy storage.
      const other = await fado.api('POST', '/api/buckets', {
        name: 'meanwhile',
        storage_id: ids.healthy,
        replica_locations: [ids.spare],
      })
      // Written through FaDO: a write made on MinIO directly would reach FaDO only when MinIO
      // flushes its event stream (~4 KB batches) without a webhook, which is not under test here.
      const put = await fado.fetch('/api/objects?path=meanwhile/x', {
        method: 'PUT',
        body: Buffer.from('x'),
      })
      expect(put.status).toBe(201)
      await waitFor('the other bucket to sync while one replica hangs', async () => {
        const b = (await fado.api('GET', `/api/buckets/${other.body.bucket_id}`)).body
        return (
          b.replicas[0]?.status === 'synced' &&
          (await listing(minios[2]!, 'meanwhile'))?.x !== undefined
        )
      })
      // Never routed to while in error: only the master's cluster serves it.
      const routes = (await fado.api('GET', '/api/load-balancer')).body.routes
      expect(routes['replica-hangs'].upstreams).toHaveLength(1)
    } finally {
      minios[1]!.resume()
    }
    await waitFor('the replica to converge after SIGCONT', async () => {
      const b = (await fado.api('GET', `/api/buckets/${created.body.bucket_id}`)).body
      return b.replicas[0]?.status === 'synced'
    })
    expect(await listing(minios[1]!, 'replica-hangs')).toEqual(
      await listing(minios[0]!, 'replica-hangs'),
    )
  })
})

describe('a MinIO SIGKILLed', () => {
  it('mid-upload: the client gets a 5xx, nothing is recorded; after restart the upload works', async () => {
    const created = await fado.api('POST', '/api/buckets', {
      name: 'killed',
      storage_id: ids.flaky,
    })
    expect(created.status, created.text).toBe(201)
    const chunk = randomData(1024 * 1024)
    let sent = 0
    const body = new Readable({
      read() {
        if (sent === 10) {
          void minios[1]!.kill()
        }
        if (sent >= 64) return this.push(null)
        sent++
        setTimeout(() => this.push(chunk), 10)
      },
    })
    const res = await fado
      .fetch('/api/objects?path=killed/big.bin', {
        method: 'PUT',
        body: Readable.toWeb(body) as ReadableStream,
        headers: { 'content-length': String(64 * chunk.length) },
        duplex: 'half',
      } as RequestInit)
      .catch((err: unknown) => err as Error)
    if (res instanceof Response) {
      expect(res.status).toBeGreaterThanOrEqual(502)
      expect(((await res.json()) as { error: { code: string } }).error.code).toMatch(/^storage_/)
    } // else: the connection was cut mid-body, which a client also sees as a failed upload
    expect((await fado.api('GET', '/api/objects?bucket=killed')).body.objects).toEqual([])

    await minios[1]!.start()
    const data = randomData(3 * 1024 * 1024)
    const ok = await fado.fetch('/api/objects?path=killed/big.bin', {
      method: 'PUT',
      body: new Uint8Array(data),
    })
    expect(ok.status).toBe(201)
    const objects = (await fado.api('GET', '/api/objects?bucket=killed')).body.objects
    expect(objects).toMatchObject([{ name: 'big.bin', size: data.length }])
  })

  it('mid-replication: the replica shows the error, then converges after restart with equal ETags', async () => {
    const created = await fado.api('POST', '/api/buckets', {
      name: 'replica-killed',
      storage_id: ids.healthy,
    })
    // Objects over the batch limit (1 MiB) are copied one by one, so the replica is still being
    // filled when the first ones appear there (batches of 8 could all land at once).
    for (let i = 0; i < 60; i++)
      await putBytes(minios[0]!, 'replica-killed', `part-${i}`, randomData(1536 * 1024))
    await fado.api('PUT', `/api/buckets/${created.body.bucket_id}`, {
      replica_locations: [ids.flaky],
    })
    await waitFor(
      'some objects to reach the replica',
      async () => Object.keys((await listing(minios[1]!, 'replica-killed')) ?? {}).length > 0,
      20_000,
    )
    await minios[1]!.kill()
    await waitFor('the replica to show the failure', async () => {
      const b = (await fado.api('GET', `/api/buckets/${created.body.bucket_id}`)).body
      return b.replicas[0]?.status === 'error'
    })
    await minios[1]!.start()
    await waitFor(
      'the replica to converge after restart',
      async () => {
        const b = (await fado.api('GET', `/api/buckets/${created.body.bucket_id}`)).body
        return b.replicas[0]?.status === 'synced'
      },
      30_000,
    )
    const master = await listing(minios[0]!, 'replica-killed')
    expect(Object.keys(master ?? {})).toHaveLength(60)
    expect(await listing(minios[1]!, 'replica-killed')).toEqual(master)
  })
})
