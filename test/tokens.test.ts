/**
 * Scoped API tokens through the API, on both database engines' worth of behaviour that matters:
 * created with their secret shown once and stored hashed, listed without secrets, each scope
 * reaching only its routes (403 JSON elsewhere), revoked → 401 at once — also in a second control
 * process on the same PostgreSQL.
 */
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { POSTGRES } from './helpers/engines.js'
import { startTestControl, type TestControl } from './helpers/control.js'
import { waitFor } from './helpers/ports.js'

let a: TestControl
let b: TestControl
let url: string
const savedKey = process.env.FADO_SECRETS_KEY

beforeAll(async () => {
  // Two controls on one database share the secrets key.
  process.env.FADO_SECRETS_KEY = randomBytes(32).toString('base64')
  const target = await POSTGRES.target()
  if (target.kind !== 'postgres') throw new Error('expected PostgreSQL')
  url = target.url
  a = await startTestControl(target)
  b = await startTestControl(target)
})

afterAll(async () => {
  await a?.close()
  await b?.close()
  if (savedKey === undefined) delete process.env.FADO_SECRETS_KEY
  else process.env.FADO_SECRETS_KEY = savedKey
})

const create = async (name: string, scope: string) => {
  const res = await a.api('POST', '/api/tokens', {
    name,
    scope,
    ...(scope === 'notify' ? { storage_alias: 'minio-1' } : {}),
  })
  expect(res.status, res.text).toBe(201)
  return res.body as { token_id: number; name: string; scope: string; token: string }
}

describe('scoped tokens', () => {
  it('are created with their secret shown once, listed without it, and stored only hashed', async () => {
    const made = await create('edge-one', 'edge')
    expect(made).toMatchObject({ name: 'edge-one', scope: 'edge', created_at: expect.any(String) })
    expect(made.token).toMatch(/^fado_edge_[A-Za-z0-9_-]{43}$/)
    const list = await a.api('GET', '/api/tokens')
    expect(list.body).toContainEqual({
      token_id: made.token_id,
      name: 'edge-one',
      scope: 'edge',
      storage_alias: null,
      cluster_id: null,
      created_at: expect.any(String),
      last_used_at: null,
    })
    expect(list.text).not.toContain(made.token)
    const db = new pg.Client({ connectionString: url })
    await db.connect()
    try {
      const dump = JSON.stringify((await db.query('SELECT * FROM api_tokens')).rows)
      expect(dump).not.toContain(made.token)
      expect(dump).not.toContain(made.token.slice(-20))
    } finally {
      await db.end()
    }
  })

  it('each scope reaches only its own routes; anything else is 403 JSON', async () => {
    const edge = (await create('edge-two', 'edge')).token
    const notify = (await create('notify-one', 'notify')).token
    const admin = (await create('admin-one', 'admin')).token
    const call = (token: string, method: string, path: string, body?: unknown) =>
      a.api(method, path, body, token)

    expect((await call(edge, 'GET', '/api/snapshot')).status).toBe(200)
    for (const [method, path, body] of [
      ['GET', '/api/resources'],
      ['GET', '/api/tokens'],
      ['POST', '/api/clusters', { name: 'sneaky' }],
      ['DELETE', '/api/buckets/1'],
      ['POST', '/api/notify', { Records: [] }],
    ] as [string, string, unknown][]) {
      const res = await call(edge, method, path, body)
      expect(res.status, `${method} ${path}`).toBe(403)
      expect(res.body.error).toMatchObject({ code: 'forbidden' })
      expect(res.body.error.message).toMatch(/scope 'edge' allows only GET\/HEAD \/api\/snapshot/)
    }
    expect((await call(notify, 'POST', '/api/notify', { Records: [] })).status).toBe(200)
    expect((await call(notify, 'GET', '/api/snapshot')).status).toBe(403)
    expect((await call(notify, 'POST', '/api/tokens', { name: 'x', scope: 'admin' })).status).toBe(
      403,
    )
    expect((await call(admin, 'GET', '/api/resources')).status).toBe(200)
    // Nothing was created by the refused calls.
    const names = (await a.api('GET', '/api/clusters')).body.map((c: { name: string }) => c.name)
    expect(names).not.toContain('sneaky')
    // Used tokens show when they were last used.
    const listed = (await a.api('GET', '/api/tokens')).body.find(
      (t: { name: string }) => t.name === 'edge-two',
    )
    expect(listed.last_used_at).not.toBeNull()
  })

  it('refuses bad input naming the field, and a duplicate name with 409', async () => {
    for (const [body, field] of [
      [{ name: 'x', scope: 'root' }, 'scope'],
      [{ name: 'bad name', scope: 'edge' }, 'name'],
      [{ scope: 'edge' }, 'name'],
      [{ name: 'x', scope: 'edge', token: 'chosen-secret' }, 'token'],
      // A notify token is tied to one storage deployment; no other token is.
      [{ name: 'x', scope: 'notify' }, 'storage_alias'],
      [{ name: 'x', scope: 'edge', storage_alias: 'minio-1' }, 'storage_alias'],
      [{ name: 'x', scope: 'notify', storage_alias: 'bad alias' }, 'storage_alias'],
    ] as [unknown, string][]) {
      const res = await a.api('POST', '/api/tokens', body)
      expect(res.status).toBe(400)
      expect(res.body.error.field).toBe(field)
    }
    const dup = await a.api('POST', '/api/tokens', {
      name: 'edge-one',
      scope: 'notify',
      storage_alias: 'm',
    })
    expect(dup.status).toBe(409)
  })

  it('a revoked token is 401 at once, here and in the other control process', async () => {
    const made = await create('short-lived', 'edge')
    // Both processes have seen (and cached) it.
    expect((await a.api('GET', '/api/snapshot', undefined, made.token)).status).toBe(200)
    expect((await b.api('GET', '/api/snapshot', undefined, made.token)).status).toBe(200)
    expect((await a.api('DELETE', `/api/tokens/${made.token_id}`)).status).toBe(204)
    expect((await a.api('GET', '/api/snapshot', undefined, made.token)).status).toBe(401)
    await waitFor(
      'the other control to refuse it too',
      async () => (await b.api('GET', '/api/snapshot', undefined, made.token)).status === 401,
      2_000,
    )
    expect((await a.api('DELETE', `/api/tokens/${made.token_id}`)).status).toBe(404)
    expect(
      (await a.api('GET', '/api/tokens')).body.map((t: { name: string }) => t.name),
    ).not.toContain('short-lived')
  })
})
