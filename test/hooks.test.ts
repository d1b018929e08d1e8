/**
 * Snapshot publish hooks end to end: control pushes every new route snapshot version to a real
 * HTTP receiver, signed (HMAC-SHA256 with the hook's secret), retried with backoff while the
 * receiver fails, and superseded by newer versions meanwhile; and to Workers KV through
 * Cloudflare's REST API — which cannot run here, so a LOCAL STAND-IN for its KV write endpoint
 * (below, named as such) stores what it receives into miniflare's real KV namespace, from which
 * the Workers edge, in workerd, serves routes without ever reaching control.
 */
import { createHmac } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Miniflare } from 'miniflare'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePort, waitFor } from './helpers/ports.js'
import {
  startPlatform,
  waitSynced,
  type TestCluster,
  type TestPlatform,
} from './helpers/platform.js'
import { putBytes } from './helpers/storage.js'
import { startWorkerEdge, waitForWorkerVersion } from './helpers/workerd.js'

let p: TestPlatform
let hpc: TestCluster
const SECRET = 'webhook-secret-0123456789'

interface Received {
  headers: http.IncomingHttpHeaders
  body: string
  url: string
  method: string
}

/** A real HTTP server recording what it receives; `answer` decides each status. */
async function receiver(answer: (n: number) => number = () => 204) {
  const got: Received[] = []
  const server = http.createServer((req, res) => {
    let body = ''
    req.on('data', (d: Buffer) => (body += d.toString()))
    req.on('end', () => {
      got.push({ headers: req.headers, body, url: req.url ?? '', method: req.method ?? '' })
      res.writeHead(answer(got.length)).end()
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/fado-hook`
  return { url, got, close: () => new Promise<void>((r) => server.close(() => r())) }
}

const hooks = async () => (await p.fado.api('GET', '/api/hooks')).body as Record<string, unknown>[]
const version = async () =>
  (await p.fado.api('GET', '/api/load-balancer')).body.snapshot_version as number
/** A real route change: a new snapshot version. */
let retries = 0
const bump = async () => {
  retries = (retries + 1) % 5
  await p.fado.api('PUT', '/api/load-balancer/settings', { retries })
  return version()
}

beforeAll(async () => {
  p = await startPlatform([{ name: 'hpc' }])
  hpc = p.clusters.hpc!
  const res = await p.fado.api('POST', '/api/buckets', {
    name: 'photos',
    storage_id: hpc.storage_id,
  })
  await putBytes(hpc.minio, 'photos', 'a.bin', Buffer.from('x'))
  await waitSynced(p.fado, res.body.bucket_id, [])
}, 120_000)

afterAll(async () => {
  await p?.close()
})

describe('/api/hooks', () => {
  it('validates hooks naming the field, keeps secrets write-only, deletes', async () => {
    const bad = async (body: unknown, field: string) => {
      const r = await p.fado.api('POST', '/api/hooks', body)
      expect(r.status, r.text).toBe(400)
      expect(r.body.error.field).toBe(field)
    }
    await bad({ kind: 'pigeon' }, 'kind')
    await bad({ kind: 'webhook', url: 'http://127.0.0.1:9/h' }, 'secret')
    await bad({ kind: 'webhook', url: 'ftp://x', secret: SECRET }, 'url')
    await bad({ kind: 'webhook', url: 'http://127.0.0.1:9/h', secret: 'short' }, 'secret')
    await bad(
      {
        kind: 'cloudflare-kv',
        account_id: 'nope',
        namespace_id: 'a'.repeat(32),
        api_token: SECRET,
      },
      'account_id',
    )
    expect(await hooks()).toEqual([])
    const made = await p.fado.api('POST', '/api/hooks', {
      kind: 'webhook',
      url: `http://127.0.0.1:${await freePort()}/h`,
      secret: SECRET,
    })
    expect(made.status).toBe(201)
    expect(made.text).not.toContain(SECRET)
    expect((await p.fado.api('GET', '/api/hooks')).text).not.toContain(SECRET)
    const stored = await p.fado.running.db.query<{ secret: string }>(
      'SELECT secret FROM publish_hooks',
    )
    expect(stored[0]?.secret).not.toContain(SECRET) // sealed at rest
    expect((await p.fado.api('DELETE', `/api/hooks/${made.body.hook_id}`)).status).toBe(204)
    expect((await p.fado.api('DELETE', `/api/hooks/${made.body.hook_id}`)).status).toBe(404)
  })
})

describe('webhook hooks', () => {
  it('deliver every new version, signed with the hook’s secret', async () => {
    const r = await receiver()
    try {
      const made = await p.fado.api('POST', '/api/hooks', {
        kind: 'webhook',
        url: r.url,
        secret: SECRET,
      })
      const v1 = await version()
      await waitFor('the current snapshot delivered', async () => r.got.length >= 1)
      const check = (msg: Received, v: number) => {
        expect(msg.method).toBe('POST')
        expect(msg.headers['x-fado-snapshot-version']).toBe(String(v))
        const hmac = createHmac('sha256', SECRET).update(msg.body).digest('hex')
        expect(msg.headers['x-fado-signature']).toBe(`sha256=${hmac}`)
        expect(JSON.parse(msg.body)).toMatchObject({
          version: v,
          routes: { photos: expect.any(Object) },
        })
      }
      check(r.got[0]!, v1)
      const v2 = await bump()
      expect(v2).toBeGreaterThan(v1)
      await waitFor('the new version delivered', async () => r.got.length >= 2)
      check(r.got[1]!, v2)
      expect(JSON.parse(r.got[1]!.body)).toEqual((await p.fado.api('GET', '/api/snapshot')).body)
      await waitFor('the hook shown delivered', async () => {
        const h = (await hooks()).find((x) => x.hook_id === made.body.hook_id)
        return h?.status === 'delivered' && h.delivered_version === v2
      })
      await p.fado.api('DELETE', `/api/hooks/${made.body.hook_id}`)
    } finally {
      await r.close()
    }
  })

  it('retry with backoff while the receiver fails, and a newer version supersedes the one failing', async () => {
    let healthy = false
    const r = await receiver(() => (healthy ? 200 : 503))
    try {
      const made = await p.fado.api('POST', '/api/hooks', {
        kind: 'webhook',
        url: r.url,
        secret: SECRET,
      })
      await waitFor('a few failed attempts', async () => r.got.length >= 3, 15_000)
      const shown = (await hooks()).find((x) => x.hook_id === made.body.hook_id)!
      expect(shown.status).toBe('failing')
      expect(shown.last_error).toBe('the target failed (a 5xx answer)')
      expect(shown.attempts as number).toBeGreaterThanOrEqual(2)
      // Backoff: attempts are spaced further and further apart, not hammered.
      const before = r.got.length
      await new Promise((resolve) => setTimeout(resolve, 400))
      expect(r.got.length - before).toBeLessThanOrEqual(1)
      const newest = await bump()
      await bump()
      const latest = await version()
      expect(latest).toBeGreaterThan(newest)
      healthy = true
      await waitFor(
        'the newest version delivered',
        async () => {
          const h = (await hooks()).find((x) => x.hook_id === made.body.hook_id)
          return h?.status === 'delivered' && h.delivered_version === latest
        },
        40_000,
      )
      const last = r.got.at(-1)!
      expect(JSON.parse(last.body).version).toBe(latest)
      expect((await hooks()).find((x) => x.hook_id === made.body.hook_id)?.last_error).toBeNull()
      await p.fado.api('DELETE', `/api/hooks/${made.body.hook_id}`)
    } finally {
      await r.close()
    }
  })
})

describe('cloudflare-kv hooks and the Workers edge reading KV', () => {
  let mf: Miniflare
  let standIn: http.Server
  const ACCOUNT = '0123456789abcdef0123456789abcdef'
  const NAMESPACE = 'fedcba9876543210fedcba9876543210'
  const API_TOKEN = 'cloudflare-api-token-0123456789'
  const writes: { path: string; auth: string | undefined }[] = []

  beforeAll(async () => {
    // The Worker can never reach control: only KV can give it routes.
    mf = await startWorkerEdge(p.fado, {
      kv: true,
      controlUrl: `http://127.0.0.1:${await freePort()}`,
    })
    const kv = (await mf.getKVNamespace('FADO_SNAPSHOT_KV')) as unknown as {
      put(key: string, value: string): Promise<void>
    }
    // LOCAL STAND-IN for Cloudflare's REST API (api.cloudflare.com cannot be reached here): it
    // speaks only the Workers KV "write key-value pair" endpoint,
    //   PUT /client/v4/accounts/{account_id}/storage/kv/namespaces/{namespace_id}/values/{key}
    // with a bearer API token, and stores the body into miniflare's real KV namespace.
    standIn = http.createServer((req, res) => {
      let body = ''
      req.on('data', (d: Buffer) => (body += d.toString()))
      req.on('end', () => {
        void (async () => {
          const m =
            /^\/client\/v4\/accounts\/([0-9a-f]{32})\/storage\/kv\/namespaces\/([0-9a-f]{32})\/values\/([^/?]+)$/.exec(
              req.url ?? '',
            )
          writes.push({ path: req.url ?? '', auth: req.headers.authorization })
          const reply = (status: number, success: boolean, errors: unknown[] = []) =>
            res
              .writeHead(status, { 'content-type': 'application/json' })
              .end(JSON.stringify({ success, errors, messages: [], result: null }))
          if (req.method !== 'PUT' || !m)
            return reply(404, false, [{ code: 7003, message: 'No route' }])
          if (req.headers.authorization !== `Bearer ${API_TOKEN}`)
            return reply(403, false, [{ code: 10000, message: 'Authentication error' }])
          if (m[1] !== ACCOUNT || m[2] !== NAMESPACE)
            return reply(404, false, [{ code: 10013, message: 'namespace not found' }])
          await kv.put(decodeURIComponent(m[3]!), body)
          reply(200, true)
        })()
      })
    })
    await new Promise<void>((r) => standIn.listen(0, '127.0.0.1', r))
  })

  afterAll(async () => {
    await mf?.dispose()
    await new Promise<void>((r) => standIn?.close(() => r()))
  })

  it('writes every version to the namespace, and a Worker that cannot reach control serves from it', async () => {
    const before = await mf.dispatchFetch('http://edge.local/function/nodeinfo', {
      headers: { 'X-FaDO-Bucket': 'photos' },
    })
    expect(before.status).toBe(503) // nothing in KV yet, control unreachable
    await before.arrayBuffer()
    const apiUrl = `http://127.0.0.1:${(standIn.address() as AddressInfo).port}/client/v4`
    const made = await p.fado.api('POST', '/api/hooks', {
      kind: 'cloudflare-kv',
      account_id: ACCOUNT,
      namespace_id: NAMESPACE,
      api_token: API_TOKEN,
      api_url: apiUrl,
    })
    expect(made.status, made.text).toBe(201)
    expect(made.text).not.toContain(API_TOKEN)
    const v = await version()
    await waitFor('the KV hook delivered', async () => {
      const h = (await hooks()).find((x) => x.hook_id === made.body.hook_id)
      return h?.status === 'delivered' && h.delivered_version === v
    })
    expect(writes.at(-1)).toEqual({
      path: `/client/v4/accounts/${ACCOUNT}/storage/kv/namespaces/${NAMESPACE}/values/fado-snapshot`,
      auth: `Bearer ${API_TOKEN}`,
    })
    const res = await mf.dispatchFetch('http://edge.local/function/nodeinfo', {
      headers: { 'X-FaDO-Bucket': 'photos' },
    })
    const body = (await res.json()) as { cluster: string }
    expect(res.status, JSON.stringify(body)).toBe(200)
    expect(res.headers.get('x-fado-cluster')).toBe('hpc')
    const status = (await (await mf.dispatchFetch('http://edge.local/_fado/status')).json()) as {
      snapshot_version: number
    }
    expect(status.snapshot_version).toBe(v)
    // A newer version reaches the Worker through KV too (its pulls keep failing).
    const next = await bump()
    await waitForWorkerVersion(mf, next, 15_000)
    await p.fado.api('DELETE', `/api/hooks/${made.body.hook_id}`)
  })
})
