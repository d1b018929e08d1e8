/**
 * Faults at the edge, injected for real against `fado standalone`'s own edge: FaaS endpoints that
 * refuse connections beside a healthy one under POST and PUT invocations with bodies of several
 * sizes (a retry must send the whole body, and a failure is charged to the endpoint that failed);
 * slow clients on real sockets (headers sent a byte at a time, a body that stops, more
 * connections than one client may hold) against the edge and the admin API.
 */
import { createHash, randomBytes } from 'node:crypto'
import net from 'node:net'
import { Pool, request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFunctionServer, type RunningFunctionServer } from '../platform/function-server.js'
import {
  createToken,
  startTestControl,
  type TestControl,
  waitForEdgeToServe,
} from './helpers/control.js'
import { startMinio, type TestMinio } from './helpers/minio.js'
import { startWorkerEdge } from './helpers/workerd.js'
import { freePort, waitFor } from './helpers/ports.js'
import { s3Of, trackBody } from './helpers/storage.js'

let minio: TestMinio
let fado: TestControl
let good: RunningFunctionServer
let ids: { good: number; dead: number[] }

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex')

beforeAll(async () => {
  minio = await startMinio()
  fado = await startTestControl(
    { kind: 'pglite-memory' },
    { config: { headerTimeout: 2_000, maxClientConnections: 12, idleTimeout: 3_000 } },
  )
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
  await waitForEdgeToServe(fado)
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
  // Standalone shows its edge's full status in the admin API.
  return (await fado.api('GET', '/api/load-balancer')).body.edge.upstreams as UpstreamReport[]
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

/** A raw socket to a port; resolves when it opened; `closed` when the server closed it. */
function connect(port: number): Promise<{ socket: net.Socket; closed: Promise<number> }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1')
    const opened = Date.now()
    const closed = new Promise<number>((r) => socket.on('close', () => r(Date.now() - opened)))
    socket.on('error', () => {})
    socket.once('connect', () => resolve({ socket, closed }))
    socket.once('error', reject)
  })
}

const portOf = (url: string) => Number(new URL(url).port)

describe('an upstream that sends interim (1xx) answers nobody asked for', () => {
  it('is answered with its final response, 100 Continue and 103 Early Hints passed over (on Workers: a clear 502)', async () => {
    // A raw HTTP/1.1 server: every request gets an unasked interim answer, then the real one.
    const interim = [
      'HTTP/1.1 100 Continue\r\n\r\n',
      'HTTP/1.1 103 Early Hints\r\nlink: </a.css>\r\n\r\n',
    ]
    let n = 0
    const raw = net.createServer((socket) => {
      let buffered = ''
      socket.on('data', (chunk) => {
        buffered += chunk.toString('latin1')
        // One answer per complete request head (bodies here are small and sent with the head).
        while (buffered.includes('\r\n\r\n')) {
          const end = buffered.indexOf('\r\n\r\n') + 4
          const length = Number(/content-length: *(\d+)/i.exec(buffered.slice(0, end))?.[1] ?? 0)
          if (buffered.length < end + length) return
          buffered = buffered.slice(end + length)
          socket.write(
            interim[n++ % interim.length] +
              'HTTP/1.1 200 OK\r\ncontent-length: 5\r\nx-raw: yes\r\n\r\nfinal',
          )
        }
      })
      socket.on('error', () => {})
    })
    await new Promise<void>((r) => raw.listen(0, '127.0.0.1', r))
    try {
      const cluster = (await fado.api('GET', '/api/clusters')).body[0].cluster_id as number
      const storage = (await fado.api('GET', '/api/storage-deployments')).body[0]
        .storage_id as number
      const port = (raw.address() as net.AddressInfo).port
      const faas = await fado.api('POST', '/api/faas-deployments', {
        cluster_id: cluster,
        url: `http://127.0.0.1:${port}`,
      })
      expect(
        (await fado.api('POST', '/api/buckets', { name: 'interim', storage_id: storage })).status,
      ).toBe(201)
      const overrides = await fado.api('PUT', '/api/load-balancer/route-overrides', {
        bodies: { policy: 'round_robin', faas_ids: [...ids.dead, ids.good] },
        interim: { faas_ids: [faas.body.faas_id] },
      })
      expect(overrides.status, overrides.text).toBe(200)
      await waitForEdgeToServe(fado)
      for (const method of ['GET', 'POST', 'GET', 'POST']) {
        const res = await request(`${fado.running.edgeUrl}/fn`, {
          method,
          headers: { 'x-fado-bucket': 'interim' },
          ...(method === 'POST' ? { body: 'hello' } : {}),
        })
        expect(res.statusCode, method).toBe(200)
        expect(res.headers['x-raw']).toBe('yes')
        expect(await res.body.text()).toBe('final')
      }
      expect(n).toBe(4)
      // The Workers build in a real workerd: its fetch() ends on the interim answer and loses the
      // final one, so there the attempt fails and the client gets a clear 502 (not a crash).
      const mf = await startWorkerEdge(fado)
      try {
        await waitFor('the Worker to route', async () => {
          const res = await mf.dispatchFetch('http://edge.local/fn', {
            headers: { 'x-fado-bucket': 'interim' },
          })
          await res.arrayBuffer()
          return res.status !== 503
        })
        for (const method of ['GET', 'POST']) {
          const res = await mf.dispatchFetch('http://edge.local/fn', {
            method,
            headers: { 'x-fado-bucket': 'interim' },
            ...(method === 'POST' ? { body: 'hello' } : {}),
          })
          expect(res.status, `Workers ${method}`).toBe(502)
          expect(((await res.json()) as { error: { code: string } }).error.code).toBe(
            'upstream_failed',
          )
        }
      } finally {
        await mf.dispose()
      }
    } finally {
      raw.close()
    }
  })
})

describe('/_fado/status on the public invocation port', () => {
  it('tells anybody only whether the edge serves and which version', async () => {
    const res = await request(`${fado.running.edgeUrl}/_fado/status`)
    const body = (await res.body.json()) as Record<string, unknown>
    expect(Object.keys(body).sort()).toEqual([
      'applied_at',
      'generated_at',
      'serving',
      'snapshot_version',
    ])
    expect(body.serving).toBe(true)
    // Standalone's in-process edge has no token of its own: its full report is in the admin API.
    const withAdmin = await request(`${fado.running.edgeUrl}/_fado/status`, {
      headers: { authorization: 'Bearer test-admin-token-0123456789' },
    })
    expect(Object.keys((await withAdmin.body.json()) as object)).not.toContain('upstreams')
  })
})

describe('slow clients', () => {
  for (const which of ['edge', 'API'] as const) {
    const port = () => portOf(which === 'edge' ? fado.running.edgeUrl! : fado.running.apiUrl)

    it(`${which}: headers trickled a byte at a time are cut off at the header timeout`, async () => {
      const { socket, closed } = await connect(port())
      socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n')
      const trickle = setInterval(() => socket.write('X'), 200)
      try {
        // --header-timeout 2000 here, looked at every second: cut within ~3 s, not at 60 s.
        const after = await Promise.race([
          closed,
          new Promise<number>((r) => setTimeout(() => r(-1), 8_000)),
        ])
        expect(after).toBeGreaterThan(1_500)
        expect(after).toBeLessThan(8_000)
      } finally {
        clearInterval(trickle)
        socket.destroy()
      }
    }, 15_000)

    it(`${which}: one client holds at most --max-client-connections connections`, async () => {
      const held = await Promise.all(Array.from({ length: 12 }, () => connect(port())))
      try {
        const extra = await connect(port())
        // Closed by the server at once, without a byte written.
        const after = await Promise.race([
          extra.closed,
          new Promise<number>((r) => setTimeout(() => r(-1), 3_000)),
        ])
        expect(after).toBeGreaterThanOrEqual(0)
        // The connections held still work.
        const first = held[0]!
        const answer = new Promise<string>((r) =>
          first.socket.once('data', (d: Buffer) => r(d.toString())),
        )
        first.socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')
        expect(await answer).toMatch(/^HTTP\/1\.1 (200|400|404)/)
      } finally {
        for (const h of held) h.socket.destroy()
      }
      // Once they are gone, the client may connect again.
      await waitFor(
        'a new connection to be kept',
        async () => {
          const again = await connect(port())
          const cut = await Promise.race([
            again.closed,
            new Promise<number>((r) => setTimeout(() => r(-1), 300)),
          ])
          again.socket.destroy()
          return cut === -1
        },
        5_000,
      )
    }, 20_000)
  }

  it('API: a request body that stops is cut off at the idle timeout', async () => {
    const { socket, closed } = await connect(portOf(fado.running.apiUrl))
    socket.write(
      'POST /api/clusters HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer test-admin-token-0123456789\r\n' +
        'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"name":',
    )
    // --idle-timeout 3000 here.
    const after = await Promise.race([
      closed,
      new Promise<number>((r) => setTimeout(() => r(-1), 10_000)),
    ])
    socket.destroy()
    expect(after).toBeGreaterThan(2_500)
    expect(after).toBeLessThan(10_000)
  }, 15_000)
})

describe('the admin API under abuse', () => {
  const clusters = async () => (await fado.api('GET', '/api/clusters')).body as unknown[]

  it('deeply nested JSON is a 400 naming the limit, before anything recursive reads it', async () => {
    const before = await clusters()
    for (const [path, body] of [
      ['/api/clusters', '['.repeat(100_000)],
      ['/api/notify', '{"Records":' + '['.repeat(20_000) + ']'.repeat(20_000) + '}'],
    ] as const) {
      const res = await fado.api('POST', path, body)
      expect(res.status, res.text).toBe(400)
      expect(res.body.error).toMatchObject({ field: 'body' })
      expect(res.body.error.message).toMatch(/deeper than 64 levels/)
    }
    expect(await clusters()).toEqual(before)
  })

  it('an IPv6 storage endpoint is a 400 naming the field', async () => {
    const res = await fado.api('POST', '/api/storage-deployments', {
      ...trackBody(minio, 'v6', (await fado.api('GET', '/api/clusters')).body[0].cluster_id),
      endpoint: '[::1]:17002',
    })
    expect(res.status, res.text).toBe(400)
    expect(res.body.error.field).toBe('endpoint')
    expect(res.body.error.message).toMatch(/IPv6/)
  })

  const entry = (over: Record<string, unknown> = {}) => {
    const hist = Array(50).fill(0)
    hist[10] = 5
    return { bucket: 'bodies', cluster: 'site', count: 5, errors: 1, hist, ...over }
  }

  it('edge figures that cannot be true are refused, naming the field; true ones are counted', async () => {
    const token = await createToken(fado, 'edge')
    const post = (body: unknown) => fado.api('POST', '/api/edge-stats', body, token)
    const huge = Array(50).fill(0)
    huge[0] = 2 ** 53 - 1
    for (const [entries, field] of [
      [[entry({ errors: 6 })], 'entries[0].errors'],
      [[entry({ count: 7 })], 'entries[0].hist'],
      [[entry({ count: 2 ** 53 - 1, hist: huge })], 'entries[0].count'],
      [[entry(), entry()], 'entries[1].cluster'],
      [Array.from({ length: 1_001 }, (_, i) => entry({ bucket: `b${i}` })), 'entries'],
    ] as const) {
      const res = await post({ entries })
      expect(res.status, res.text).toBe(400)
      expect(res.body.error.field).toBe(field)
    }
    const big = await post({ entries: [entry({ bucket: 'x'.repeat(300_000) })] })
    expect(big.status).toBe(413)
    const before = ((await fado.api('GET', '/api/traffic')).body.buckets.bodies?.invocations ??
      []) as number[]
    const ok = await post({ entries: [entry()] })
    expect(ok.status, ok.text).toBe(200)
    expect(ok.body).toEqual({ received: 1, kept: 1 })
    const after = (await fado.api('GET', '/api/traffic')).body.buckets.bodies
      .invocations as number[]
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0)
    expect(sum(after) - sum(before)).toBe(5)
  })

  it('a burst of reports from one token is refused after its allowance, before its bodies are read', async () => {
    const token = await createToken(fado, 'edge')
    const entries = Array.from({ length: 1_000 }, (_, i) => entry({ bucket: `b${i}` }))
    const body = JSON.stringify({ entries })
    // All at once, over 8 connections (this control lets one client hold 12).
    const pool = new Pool(fado.running.apiUrl, { connections: 8 })
    const started = Date.now()
    const statuses = await Promise.all(
      Array.from({ length: 60 }, async () => {
        const res = await pool.request({
          path: '/api/edge-stats',
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body,
        })
        await res.body.arrayBuffer()
        return res.statusCode
      }),
    )
    const seconds = (Date.now() - started) / 1000
    await pool.close()
    const accepted = statuses.filter((s) => s === 200).length
    // A burst of 20, then 4 a second for as long as the burst took.
    expect(accepted).toBeGreaterThanOrEqual(20)
    expect(accepted).toBeLessThanOrEqual(20 + Math.ceil(4 * seconds))
    expect(accepted).toBeLessThan(60)
    expect(statuses.filter((s) => s === 429).length).toBe(60 - accepted)
    // Another token (another edge) is not held back by it.
    const other = await createToken(fado, 'edge')
    expect((await fado.api('POST', '/api/edge-stats', { entries: [entry()] }, other)).status).toBe(
      200,
    )
  })
})
