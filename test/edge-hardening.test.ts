/**
 * The edge's hardening, with real processes: request hygiene checked against a function server
 * that reports the target it received; error bodies without internal addresses; X-Forwarded-For
 * and Forwarded; the retry budget; active health checks; bounded-load settings reaching the edge;
 * several edge workers sharing a port (one killed and replaced); HTTPS with a CA made here.
 */
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import tls from 'node:tls'
import { Agent, request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFunctionServer, type RunningFunctionServer } from '../platform/function-server.js'
import {
  startTestControl,
  TEST_TOKEN,
  type TestControl,
  waitForEdgeToServe,
} from './helpers/control.js'
import { cleanEnv, FADO_BIN, standaloneArgs } from './helpers/fado-process.js'
import { sleep } from './helpers/faults.js'
import { startMinio, type TestMinio } from './helpers/minio.js'
import { freePort, waitFor } from './helpers/ports.js'
import { s3Of, trackBody } from './helpers/storage.js'
import { makeCa } from './helpers/tls.js'

let minio: TestMinio
let fado: TestControl
let good: RunningFunctionServer
let flaky: RunningFunctionServer
let ids: { cluster: number; good: number; flaky: number; dead: number; failing: number }
let failing: http.Server
const dirs: string[] = []

beforeAll(async () => {
  minio = await startMinio()
  fado = await startTestControl({ kind: 'pglite-memory' })
  good = await startFunctionServer({ cluster: 'site', storage: s3Of(minio), prefix: '/gw' })
  flaky = await startFunctionServer({ cluster: 'site', storage: s3Of(minio), prefix: '/gw' })
  // An upstream that answers 503 to everything.
  failing = http.createServer((_req, res) => {
    res.writeHead(503, { 'content-type': 'text/plain' })
    res.end('overloaded')
  })
  await new Promise<void>((r) => failing.listen(0, '127.0.0.1', r))
  const cluster = (await fado.api('POST', '/api/clusters', { name: 'site' })).body.cluster_id
  const storage = (
    await fado.api('POST', '/api/storage-deployments', trackBody(minio, 'm', cluster))
  ).body.storage_id
  const faas = async (url: string) =>
    (await fado.api('POST', '/api/faas-deployments', { cluster_id: cluster, url })).body
      .faas_id as number
  ids = {
    cluster,
    good: await faas(good.url),
    flaky: await faas(flaky.url),
    dead: await faas(`http://127.0.0.1:${await freePort()}/gw`),
    failing: await faas(`http://127.0.0.1:${(failing.address() as net.AddressInfo).port}`),
  }
  for (const name of ['hygiene', 'dead-end', 'budget', 'probed'])
    expect((await fado.api('POST', '/api/buckets', { name, storage_id: storage })).status).toBe(201)
  await overrides({
    hygiene: { policy: 'first', faas_ids: [ids.good] },
    'dead-end': { policy: 'first', faas_ids: [ids.dead] },
    budget: { policy: 'first', faas_ids: [ids.failing, ids.good] },
    probed: { policy: 'round_robin', faas_ids: [ids.flaky, ids.good] },
  })
}, 120_000)

afterAll(async () => {
  await fado?.close()
  await good?.close()
  await flaky?.close()
  failing?.close()
  await minio?.destroy()
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true })
})

async function overrides(body: Record<string, unknown>) {
  const res = await fado.api('PUT', '/api/load-balancer/route-overrides', body)
  expect(res.status, res.text).toBe(200)
  await waitForEdgeToServe(fado)
}

/** A request written by hand (as curl --path-as-is or a hostile client would), its answer parsed. */
function rawRequest(
  target: string,
  headers: Record<string, string>,
  method = 'GET',
): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  const port = Number(new URL(fado.running.edgeUrl as string).port)
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1')
    let data = ''
    socket.on('data', (d) => (data += d.toString()))
    socket.on('error', reject)
    socket.on('close', () => {
      const [head = '', ...rest] = data.split('\r\n\r\n')
      const [statusLine = '', ...lines] = head.split('\r\n')
      const parsed: Record<string, string> = {}
      for (const l of lines) {
        const i = l.indexOf(':')
        parsed[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim()
      }
      let body = rest.join('\r\n\r\n')
      if (/chunked/i.test(parsed['transfer-encoding'] ?? '')) {
        let plain = ''
        for (let at = 0; ;) {
          const eol = body.indexOf('\r\n', at)
          const size = parseInt(body.slice(at, eol), 16)
          if (!size) break
          plain += body.slice(eol + 2, eol + 2 + size)
          at = eol + 2 + size + 2
        }
        body = plain
      }
      resolve({ status: Number(statusLine.split(' ')[1]), headers: parsed, body })
    })
    const lines = Object.entries({ Host: '127.0.0.1', Connection: 'close', ...headers })
      .map(([k, v]) => `${k}: ${v}`)
      .join('\r\n')
    socket.write(`${method} ${target} HTTP/1.1\r\n${lines}\r\n\r\n`)
  })
}

const invoke = (
  bucket: string,
  target = '/function/nodeinfo',
  headers: Record<string, string> = {},
) => rawRequest(target, { 'X-FaDO-Bucket': bucket, ...headers })

describe('request hygiene', () => {
  it('resolves dot segments (plain or encoded) under the upstream’s prefix', async () => {
    for (const target of [
      '/function/../function/nodeinfo?x=1',
      '/x/%2e%2E/function/./nodeinfo?x=1',
    ]) {
      const res = await invoke('hygiene', target)
      expect(res.status, res.body).toBe(200)
      expect(JSON.parse(res.body)).toMatchObject({ raw: '/gw/function/nodeinfo?x=1' })
    }
  })

  it('refuses a target that would climb out of the prefix, absolute-form and asterisk-form: 400', async () => {
    const before = good.hits.size ? [...good.hits.values()].reduce((a, b) => a + b, 0) : 0
    for (const [target, method] of [
      ['/../../admin/secret', 'GET'],
      ['/function/%2e%2e/%2e%2e/admin', 'GET'],
      ['http://169.254.169.254/latest', 'GET'],
      ['*', 'OPTIONS'],
      ['/a%2f..%2f..%2fadmin', 'GET'],
    ] as const) {
      const res = await rawRequest(target, { 'X-FaDO-Bucket': 'hygiene' }, method)
      expect(res.status, `${method} ${target}: ${res.body}`).toBe(400)
      expect(JSON.parse(res.body).error.code).toBe('bad_request_target')
    }
    const after = [...good.hits.values()].reduce((a, b) => a + b, 0)
    expect(after).toBe(before) // nothing reached the upstream
  })

  it('a failed upstream is a 502 naming the cluster, without its address or the library’s message', async () => {
    const res = await invoke('dead-end')
    expect(res.status).toBe(502)
    const error = JSON.parse(res.body).error
    expect(error.code).toBe('upstream_failed')
    expect(error.message).toContain("cluster 'site'")
    expect(res.body).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|connect|:\d{4,5}/)
  })

  it('X-Forwarded-For and Forwarded carry the client; what an untrusted client claims is dropped', async () => {
    const res = await invoke('hygiene', '/function/echo', {
      'X-Forwarded-For': '6.6.6.6',
      Forwarded: 'for=6.6.6.6',
      'X-Forwarded-Host': 'evil.example',
    })
    const seen = JSON.parse(res.headers['x-received-headers'] ?? '{}')
    expect(seen['x-forwarded-for']).toBe('127.0.0.1')
    expect(seen.forwarded).toBe('for=127.0.0.1;proto=http;host=127.0.0.1')
    expect(seen['x-forwarded-host']).toBe('127.0.0.1')
    expect(seen['x-forwarded-proto']).toBe('http')
  })
})

describe('request ids', () => {
  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
  const seenBy = (res: { headers: Record<string, string> }) =>
    JSON.parse(res.headers['x-received-headers'] ?? '{}')['x-request-id']

  it("the client's X-Request-Id reaches the upstream and comes back in the answer", async () => {
    const res = await invoke('hygiene', '/function/echo', { 'X-Request-Id': 'trace-4bf92f35:01' })
    expect(seenBy(res)).toBe('trace-4bf92f35:01')
    expect(res.headers['x-request-id']).toBe('trace-4bf92f35:01')
  })

  it('without one, or with one unfit for a log line, the edge makes a new id for both', async () => {
    for (const sent of [undefined, 'spaces and "quotes"', 'x'.repeat(200)]) {
      const res = await invoke(
        'hygiene',
        '/function/echo',
        sent === undefined ? {} : { 'X-Request-Id': sent },
      )
      expect(res.headers['x-request-id']).toMatch(UUID)
      expect(seenBy(res)).toBe(res.headers['x-request-id'])
    }
    const [a, b] = [await invoke('hygiene'), await invoke('hygiene')]
    expect(a.headers['x-request-id']).not.toBe(b.headers['x-request-id'])
  })

  it('error answers carry it too', async () => {
    const failed = await invoke('dead-end', '/function/nodeinfo', { 'X-Request-Id': 'req-502' })
    expect(failed.status).toBe(502)
    expect(failed.headers['x-request-id']).toBe('req-502')
    const unknown = await invoke('no-such-bucket')
    expect(unknown.status).toBe(404)
    expect(unknown.headers['x-request-id']).toMatch(UUID)
  })
})

describe('the retry budget', () => {
  /**
   * A fresh upstream answering 503 (a new id: no passive ejection yet) first in line, the good
   * one second: what the client gets says whether the edge retried.
   */
  let fresh = 0
  const firstAttempt = async () => {
    const id = (
      await fado.api('POST', '/api/faas-deployments', {
        cluster_id: ids.cluster,
        url: `http://127.0.0.1:${(failing.address() as net.AddressInfo).port}/fresh-${++fresh}`,
      })
    ).body.faas_id
    const current = (await fado.api('GET', '/api/load-balancer/route-overrides')).body
    await overrides({ ...current, budget: { policy: 'first', faas_ids: [id, ids.good] } })
    return (await invoke('budget', '/function/nodeinfo')).status
  }

  it('with a budget, a 503 is retried on the next upstream; with none, it is passed on', async () => {
    expect(await firstAttempt()).toBe(200) // 503 from the first, retried on the second
    const put = await fado.api('PUT', '/api/load-balancer/settings', { retry_budget: 0 })
    expect(put.body.retry_budget).toBe(0)
    expect((await fado.api('GET', '/api/snapshot')).body.settings.retry_budget).toBe(0)
    expect(await firstAttempt()).toBe(503)
    expect(await firstAttempt()).toBe(503)
    // Back to 20%: retries are earned again, one per five requests.
    await fado.api('PUT', '/api/load-balancer/settings', { retry_budget: 0.2 })
    await firstAttempt() // applies the settings (and is itself one request)
    for (let i = 0; i < 4; i++) expect((await invoke('hygiene')).status).toBe(200)
    expect(await firstAttempt()).toBe(200)
  })
})

describe('active health checks', () => {
  it('an upstream failing its probe leaves rotation and comes back when it passes', async () => {
    await fado.api('PUT', '/api/load-balancer/settings', {
      health_check: {
        path: '/healthz',
        interval_ms: 200,
        timeout_ms: 150,
        healthy_threshold: 1,
        unhealthy_threshold: 2,
      },
    })
    const clusters = async (n: number) => {
      const seen: string[] = []
      for (let i = 0; i < n; i++) {
        const res = await invoke('probed', '/function/nodeinfo')
        seen.push(res.headers['x-fado-cluster'] ?? '')
      }
      return seen
    }
    const flakyHits = () => flaky.hits.get('/gw/function/nodeinfo') ?? 0
    flaky.setHealthy(false)
    await waitFor(
      'the probe to take the upstream out',
      async () => {
        const edge = (await fado.api('GET', '/api/load-balancer')).body.edge
        return edge.upstreams.find((u: { id: number }) => u.id === ids.flaky)?.probe === 'unhealthy'
      },
      5_000,
    )
    const before = flakyHits()
    await clusters(10)
    expect(flakyHits()).toBe(before) // none of 10 went to the unhealthy one
    flaky.setHealthy(true)
    await waitFor(
      'the probe to bring it back',
      async () => {
        const edge = (await fado.api('GET', '/api/load-balancer')).body.edge
        return edge.upstreams.find((u: { id: number }) => u.id === ids.flaky)?.probe === 'healthy'
      },
      5_000,
    )
    await clusters(10)
    expect(flakyHits()).toBeGreaterThan(before)
    await fado.api('PUT', '/api/load-balancer/settings', { health_check: null })
  })
})

describe('fado standalone with several edge workers, over HTTPS', () => {
  it('serves invocations and the API with a test CA, picks up a renewed certificate, survives a killed worker', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fado-tls-'))
    dirs.push(dir)
    const ca = makeCa(path.join(dir, 'ca'))
    const first = ca.issue('server-1')
    const certFile = path.join(dir, 'server.crt')
    const keyFile = path.join(dir, 'server.key')
    fs.copyFileSync(first.certFile, certFile)
    fs.copyFileSync(first.keyFile, keyFile)
    const { args, apiPort, edgePort } = await standaloneArgs(
      '--database',
      'memory',
      '--workers',
      '2',
      '--tls-cert',
      certFile,
      '--tls-key',
      keyFile,
      '--data-dir',
      path.join(dir, 'data'),
    )
    const child = spawn(process.execPath, [FADO_BIN, ...args], {
      env: cleanEnv({ FADO_ADMIN_TOKEN: TEST_TOKEN }),
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (out += d))
    const agent = new Agent({ connect: { ca: ca.cert } })
    const call = async (
      url: string,
      init: { method?: string; headers?: Record<string, string>; body?: string } = {},
    ) => {
      const res = await request(url, {
        dispatcher: agent,
        method: (init.method ?? 'GET') as 'GET',
        headers: init.headers ?? {},
        body: init.body ?? null,
      })
      return { status: res.statusCode, headers: res.headers, body: await res.body.text() }
    }
    const api = (method: string, p: string, body?: unknown) =>
      call(`https://127.0.0.1:${apiPort}${p}`, {
        method,
        headers: { authorization: `Bearer ${TEST_TOKEN}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      })
    const served = () =>
      new Promise<string>((resolve, reject) => {
        const socket = tls.connect(
          { host: '127.0.0.1', port: edgePort, ca: ca.cert, servername: 'localhost' },
          () => {
            resolve(socket.getPeerCertificate().serialNumber.replace(/^0+/, ''))
            socket.end()
          },
        )
        socket.on('error', reject)
      })
    try {
      await waitFor(
        'https standalone',
        async () => (await api('GET', '/healthz')).status === 200,
        60_000,
      )
      expect(out).toContain(`https://127.0.0.1:${apiPort}/`)
      const cluster = JSON.parse(
        (await api('POST', '/api/clusters', { name: 'tls-site' })).body,
      ).cluster_id
      const storage = JSON.parse(
        (await api('POST', '/api/storage-deployments', trackBody(minio, 'tm', cluster))).body,
      )
      await api('POST', '/api/faas-deployments', { cluster_id: cluster, url: good.url })
      expect(
        (await api('POST', '/api/buckets', { name: 'over-tls', storage_id: storage.storage_id }))
          .status,
      ).toBe(201)
      const invokeTls = () =>
        call(`https://127.0.0.1:${edgePort}/function/echo`, {
          headers: { 'X-FaDO-Bucket': 'over-tls' },
        })
      await waitFor('the route over HTTPS', async () => (await invokeTls()).status === 200)
      const echoed = JSON.parse(String((await invokeTls()).headers['x-received-headers']))
      expect(echoed['x-forwarded-proto']).toBe('https')
      const lb = JSON.parse((await api('GET', '/api/load-balancer')).body)
      expect(lb.edge.workers).toBe(2)

      // A renewed certificate is served without a restart.
      expect(await served()).toBe(first.serial)
      const second = ca.issue('server-2')
      fs.copyFileSync(second.keyFile, keyFile)
      fs.copyFileSync(second.certFile, certFile)
      await waitFor(
        'the renewed certificate',
        async () => (await served()) === second.serial,
        15_000,
      )

      // One edge worker killed: the other keeps answering, and a new one takes its place.
      const workers = fs
        .readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8')
        .trim()
        .split(/\s+/)
        .map(Number)
        .filter((pid) => fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('edge-worker'))
      expect(workers).toHaveLength(2)
      process.kill(workers[0] as number, 'SIGKILL')
      let failed = 0
      const until = Date.now() + 3_000
      while (Date.now() < until) {
        const res = await invokeTls().catch(() => ({ status: 0 }))
        if (res.status !== 200) failed++
        await sleep(20)
      }
      expect(failed).toBeLessThanOrEqual(1) // at most a request on the killed worker's connection
      await waitFor(
        'a new worker',
        async () => {
          const now = fs
            .readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8')
            .trim()
            .split(/\s+/)
            .map(Number)
          return (
            now.filter((pid) =>
              fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('edge-worker'),
            ).length === 2
          )
        },
        10_000,
      )
    } finally {
      child.kill('SIGTERM')
      await new Promise((r) => child.once('exit', r))
      await agent.close()
    }
  }, 120_000)
})
