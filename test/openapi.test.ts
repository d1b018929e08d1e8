/**
 * The API description against the API: GET /api/openapi.json (no token) is a valid OpenAPI 3.1
 * document by a real validator (@readme/openapi-parser); every route the app serves is in it and
 * every operation in it is served; and answers recorded from real calls — successes and errors,
 * against a real MinIO — match the schemas it gives for their status (checked with ajv, JSON
 * Schema 2020-12).
 */
import { validate, compileErrors } from '@readme/openapi-parser'
import { Ajv2020 } from 'ajv/dist/2020.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestControl, TEST_TOKEN, type TestControl } from './helpers/control.js'
import { startMinio, type TestMinio } from './helpers/minio.js'
import { trackBody } from './helpers/storage.js'

let fado: TestControl
let minio: TestMinio
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a JSON document under test
let doc: any
let ajv: Ajv2020
const checked = new Set<string>()

beforeAll(async () => {
  minio = await startMinio()
  fado = await startTestControl({ kind: 'pglite-memory' })
  const res = await fetch(`${fado.running.apiUrl}/api/openapi.json`)
  expect(res.status).toBe(200)
  doc = await res.json()
  ajv = new Ajv2020({ strict: false, allErrors: true })
  ajv.addSchema(doc, 'fado')
}, 60_000)

afterAll(async () => {
  await fado?.close()
  await minio?.destroy()
})

const pointer = (...parts: string[]) =>
  parts.map((p) => p.replaceAll('~', '~0').replaceAll('/', '~1')).join('/')

/** Calls the API and checks the answer against the document's schema for its status. */
async function call(
  method: string,
  path: string,
  template: string,
  body?: unknown,
  init: { token?: string | null; raw?: BodyInit; type?: string } = {},
) {
  const headers: Record<string, string> = {}
  const token = init.token === undefined ? TEST_TOKEN : init.token
  if (token) headers.authorization = `Bearer ${token}`
  if (body !== undefined) headers['content-type'] = 'application/json'
  if (init.type) headers['content-type'] = init.type
  const res = await fetch(`${fado.running.apiUrl}${path}`, {
    method,
    headers,
    ...(body !== undefined ? { body: JSON.stringify(body) } : init.raw ? { body: init.raw } : {}),
  })
  const text = await res.text()
  const where = `${method} ${template} → ${res.status}`
  const op = doc.paths[template]?.[method.toLowerCase()]
  expect(op, `${method} ${template} is documented`).toBeDefined()
  const answer = op.responses[String(res.status)]
  expect(answer, `${where} is a documented answer (${text.slice(0, 200)})`).toBeDefined()
  const json = res.headers.get('content-type')?.startsWith('application/json')
  if (json) {
    expect(answer.content?.['application/json'], `${where}: documented as JSON`).toBeDefined()
    const validator = ajv.getSchema(
      `fado#/${pointer('paths', template, method.toLowerCase(), 'responses', String(res.status), 'content', 'application/json', 'schema')}`,
    )
    expect(validator, where).toBeDefined()
    const value: unknown = JSON.parse(text)
    const ok = validator!(value)
    expect(ok, `${where}: ${JSON.stringify(validator!.errors)} in ${text.slice(0, 300)}`).toBe(true)
  } else if (text.length > 0) {
    expect(Object.keys(answer.content ?? {}).length, `${where}: a documented body`).toBeGreaterThan(
      0,
    )
  }
  checked.add(`${method} ${template}`)
  return { status: res.status, body: json ? JSON.parse(text) : text }
}

describe('the OpenAPI document', () => {
  it('is served without a token and is valid OpenAPI 3.1', async () => {
    expect(doc.openapi).toBe('3.1.0')
    const result = await validate(structuredClone(doc))
    expect(result.valid, result.valid ? '' : compileErrors(result)).toBe(true)
  })

  it('covers every route the app serves, and describes only routes it serves', () => {
    const served = new Set<string>()
    for (const r of fado.running.app.routes) {
      if (r.method === 'ALL' || r.path === '/*' || r.path.startsWith('/assets')) continue
      served.add(`${r.method.toLowerCase()} ${r.path.replace(/:(\w+)/g, '{$1}')}`)
    }
    const described = new Set<string>()
    for (const [path, ops] of Object.entries(doc.paths as Record<string, object>))
      for (const method of Object.keys(ops)) described.add(`${method} ${path}`)
    expect([...served].filter((r) => !described.has(r))).toEqual([])
    expect([...described].filter((r) => !served.has(r))).toEqual([])
    expect(served.size).toBeGreaterThan(40)
  })
})

describe('real answers match the schemas', () => {
  it('for every resource: create, list, get, update, delete, and the errors on the way', async () => {
    await call('GET', '/healthz', '/healthz', undefined, { token: null })
    await call('GET', '/api/openapi.json', '/api/openapi.json', undefined, { token: null })
    await call('GET', '/api/clusters', '/api/clusters', undefined, { token: null }) // 401
    expect((await call('POST', '/api/clusters', '/api/clusters', { name: 'a b' })).status).toBe(400)
    const cluster = (
      await call('POST', '/api/clusters', '/api/clusters', { name: 'hpc', zones: ['gpu'] })
    ).body
    expect((await call('POST', '/api/clusters', '/api/clusters', { name: 'hpc' })).status).toBe(409)
    await call('GET', '/api/clusters', '/api/clusters')
    await call('GET', `/api/clusters/${cluster.cluster_id}`, '/api/clusters/{id}')
    expect((await call('GET', '/api/clusters/999', '/api/clusters/{id}')).status).toBe(404)
    await call('PUT', `/api/clusters/${cluster.cluster_id}`, '/api/clusters/{id}', {
      zones: ['gpu', 'eu'],
    })

    const faas = (
      await call('POST', '/api/faas-deployments', '/api/faas-deployments', {
        cluster_id: cluster.cluster_id,
        url: 'http://127.0.0.1:9/fn',
      })
    ).body
    await call('GET', '/api/faas-deployments', '/api/faas-deployments')
    await call('GET', `/api/faas-deployments/${faas.faas_id}`, '/api/faas-deployments/{id}')
    await call('PUT', `/api/faas-deployments/${faas.faas_id}`, '/api/faas-deployments/{id}', {
      url: 'http://127.0.0.1:9/fn2',
    })

    const fn = (
      await call('POST', '/api/functions', '/api/functions', {
        name: 'resize',
        zones: ['gpu'],
        triggers: [{ faas_id: faas.faas_id, target: '/function/resize' }],
      })
    ).body
    await call('GET', '/api/functions', '/api/functions')
    await call('GET', `/api/functions/${fn.function_id}`, '/api/functions/{id}')
    await call('PUT', `/api/functions/${fn.function_id}`, '/api/functions/{id}', { zones: [] })

    const storage = (
      await call(
        'POST',
        '/api/storage-deployments',
        '/api/storage-deployments',
        trackBody(minio, 'minio-1', cluster.cluster_id),
      )
    ).body
    expect(
      (
        await call(
          'POST',
          '/api/storage-deployments',
          '/api/storage-deployments',
          trackBody(minio, 'minio-again', cluster.cluster_id),
        )
      ).status,
    ).toBe(409)
    await call('GET', '/api/storage-deployments', '/api/storage-deployments')
    await call(
      'GET',
      `/api/storage-deployments/${storage.storage_id}`,
      '/api/storage-deployments/{id}',
    )
    // Its webhook was configured on tracking: asking again changes nothing.
    await call(
      'POST',
      `/api/storage-deployments/${storage.storage_id}/webhook`,
      '/api/storage-deployments/{id}/webhook',
    )
    await call(
      'POST',
      '/api/storage-deployments/999/webhook',
      '/api/storage-deployments/{id}/webhook',
    )

    const bucket = (
      await call('POST', '/api/buckets', '/api/buckets', {
        name: 'images',
        storage_id: storage.storage_id,
      })
    ).body
    await call('GET', '/api/buckets', '/api/buckets')
    await call('GET', `/api/buckets/${bucket.bucket_id}`, '/api/buckets/{id}')
    await call('PUT', `/api/buckets/${bucket.bucket_id}`, '/api/buckets/{id}', { zones: ['gpu'] })
    expect(
      (await call('POST', `/api/buckets/${bucket.bucket_id}/sync`, '/api/buckets/{id}/sync'))
        .status,
    ).toBe(202)
    expect((await call('POST', '/api/buckets/999/sync', '/api/buckets/{id}/sync')).status).toBe(404)

    const form = new FormData()
    form.set('bucket', 'images')
    form.set('file', new Blob([Buffer.from('hello')]), 'a.txt')
    const uploaded = await call('POST', '/api/objects', '/api/objects', undefined, { raw: form })
    expect(uploaded.status).toBe(201)
    expect(
      (
        await call('PUT', '/api/objects?path=images/b.bin', '/api/objects', undefined, {
          raw: Buffer.from('bytes'),
          type: 'application/octet-stream',
        })
      ).status,
    ).toBe(201)
    const upload = '/api/objects/upload-url'
    expect(
      (await call('POST', upload, upload, { bucket: 'images', name: 'c.bin', size: 5 })).body
        .method,
    ).toBe('PUT')
    expect((await call('POST', upload, upload, { bucket: 'images' })).status).toBe(400)
    await call('GET', '/api/objects?bucket=images&limit=1', '/api/objects')
    expect((await call('GET', '/api/objects?path=images/a.txt', '/api/objects')).body).toBe('hello')
    await call('GET', `/api/objects/${uploaded.body.object_id}`, '/api/objects/{id}')
    expect((await call('GET', '/api/objects?bucket=nope', '/api/objects')).status).toBe(400)
    expect((await call('GET', '/api/objects/999999', '/api/objects/{id}')).status).toBe(404)
    await call('DELETE', '/api/objects?path=images/b.bin', '/api/objects')
    await call('DELETE', `/api/objects/${uploaded.body.object_id}`, '/api/objects/{id}')

    const notifyToken = (
      await call('POST', '/api/tokens', '/api/tokens', {
        name: 'n',
        scope: 'notify',
        storage_alias: 'm',
      })
    ).body
    await call('GET', '/api/tokens', '/api/tokens')
    expect(
      (await call('GET', '/api/buckets', '/api/buckets', undefined, { token: notifyToken.token }))
        .status,
    ).toBe(403)
    await call(
      'POST',
      '/api/notify',
      '/api/notify',
      { EventName: 's3:ObjectCreated:Put', Records: [] },
      { token: notifyToken.token },
    )
    await call('PUT', '/api/notify', '/api/notify', { Records: [] }, { token: notifyToken.token })
    await call('DELETE', `/api/tokens/${notifyToken.token_id}`, '/api/tokens/{id}')

    await call('GET', '/api/load-balancer', '/api/load-balancer')
    await call('GET', '/api/load-balancer/settings', '/api/load-balancer/settings')
    await call('PUT', '/api/load-balancer/settings', '/api/load-balancer/settings', { retries: 1 })
    expect(
      (
        await call('PUT', '/api/load-balancer/settings', '/api/load-balancer/settings', {
          retries: 99,
        })
      ).status,
    ).toBe(400)
    await call('GET', '/api/load-balancer/route-overrides', '/api/load-balancer/route-overrides')
    await call('PUT', '/api/load-balancer/route-overrides', '/api/load-balancer/route-overrides', {
      images: { policy: 'first', allow_partial: false },
    })
    const hook = (
      await call('POST', '/api/hooks', '/api/hooks', {
        kind: 'webhook',
        url: 'http://127.0.0.1:9/hook',
        secret: 'a-secret-of-16-chars',
      })
    ).body
    expect((await call('POST', '/api/hooks', '/api/hooks', { kind: 'webhook' })).status).toBe(400)
    await call('GET', '/api/hooks', '/api/hooks')
    await call('DELETE', `/api/hooks/${hook.hook_id}`, '/api/hooks/{id}')
    await call('GET', '/api/snapshot', '/api/snapshot')
    await call('GET', '/api/traffic', '/api/traffic')
    const edgeToken = (
      await call('POST', '/api/tokens', '/api/tokens', { name: 'e', scope: 'edge' })
    ).body
    await call(
      'POST',
      '/api/edge-stats',
      '/api/edge-stats',
      {
        entries: [
          { bucket: 'images', cluster: 'hpc', count: 1, errors: 0, hist: new Array(50).fill(0) },
        ],
      },
      { token: edgeToken.token },
    )
    const agentToken = (
      await call('POST', '/api/tokens', '/api/tokens', {
        name: 'agent-hpc',
        scope: 'agent',
        cluster_id: cluster.cluster_id,
      })
    ).body
    const agent = { agent_id: 'agent-openapi-1', token: agentToken.token }
    const claimed = await call(
      'POST',
      '/api/agent/claim',
      '/api/agent/claim',
      { agent_id: agent.agent_id, cluster: 'hpc', version: '0.1.0' },
      { token: agent.token },
    )
    expect(claimed.body.work).toEqual([])
    const held = { agent_id: agent.agent_id, lease: 1 }
    expect(
      (
        await call('POST', '/api/agent/work/1/renew', '/api/agent/work/{id}/renew', held, {
          token: agent.token,
        })
      ).status,
    ).toBe(409)
    expect(
      (
        await call(
          'POST',
          '/api/agent/work/1/report',
          '/api/agent/work/{id}/report',
          { ...held, ok: true, bytes: 0, objects: [] },
          { token: agent.token },
        )
      ).status,
    ).toBe(409)
    expect((await call('GET', '/api/agents', '/api/agents')).body[0]).toMatchObject({
      agent_id: agent.agent_id,
      live: true,
    })
    await call('GET', '/api/resources', '/api/resources')
    const metrics = await call('GET', '/metrics', '/metrics')
    expect(String(metrics.body)).toContain('fado_api_requests_total')

    await call('DELETE', `/api/functions/${fn.function_id}`, '/api/functions/{id}')
    await call('DELETE', `/api/buckets/${bucket.bucket_id}`, '/api/buckets/{id}')
    await call(
      'DELETE',
      `/api/storage-deployments/${storage.storage_id}`,
      '/api/storage-deployments/{id}',
    )
    await call('DELETE', `/api/faas-deployments/${faas.faas_id}`, '/api/faas-deployments/{id}')
    await call('DELETE', `/api/clusters/${cluster.cluster_id}`, '/api/clusters/{id}')

    // Every documented operation was called and its answer checked.
    const all = Object.entries(doc.paths as Record<string, object>).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
    )
    expect(all.filter((op) => !checked.has(op))).toEqual([])
  })
})
