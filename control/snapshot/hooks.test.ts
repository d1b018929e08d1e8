import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { DEFAULT_EDGE_SETTINGS, type RouteSnapshot } from '../../edge/snapshot.js'
import { CLOUDFLARE_API, hookRequest } from './hooks.js'

const snapshot: RouteSnapshot = {
  lineage: 'l-1',
  version: 7,
  generated_at: '2026-12-02T00:00:00.000Z',
  match_header: 'X-FaDO-Bucket',
  function_header: 'X-FaDO-Function',
  default_policy: 'round_robin',
  routes: {},
  settings: DEFAULT_EDGE_SETTINGS,
  clusters: {},
  functions: {},
}
const base = { url: '', account_id: '', namespace_id: '' }

describe('hookRequest', () => {
  it('a webhook: POST of the snapshot, its version, and an HMAC-SHA256 of the exact body', () => {
    const req = hookRequest(
      { ...base, kind: 'webhook', url: 'https://h.example/in' },
      's3cr3t',
      snapshot,
    )
    expect(req).toMatchObject({ url: 'https://h.example/in', method: 'POST' })
    expect(JSON.parse(req.body)).toEqual(snapshot)
    expect(req.headers['x-fado-snapshot-version']).toBe('7')
    expect(req.headers['x-fado-signature']).toBe(
      `sha256=${createHmac('sha256', 's3cr3t').update(req.body).digest('hex')}`,
    )
  })

  it("cloudflare-kv: PUT to Cloudflare's KV value endpoint with the API token", () => {
    const hook = {
      ...base,
      kind: 'cloudflare-kv' as const,
      account_id: 'a'.repeat(32),
      namespace_id: 'b'.repeat(32),
    }
    const req = hookRequest(hook, 'tok', snapshot)
    expect(req.method).toBe('PUT')
    expect(req.url).toBe(
      `${CLOUDFLARE_API}/accounts/${'a'.repeat(32)}/storage/kv/namespaces/${'b'.repeat(32)}/values/fado-snapshot`,
    )
    expect(req.headers.authorization).toBe('Bearer tok')
    expect(hookRequest({ ...hook, url: 'http://127.0.0.1:1/v4/' }, 'tok', snapshot).url).toMatch(
      /^http:\/\/127\.0\.0\.1:1\/v4\/accounts\//,
    )
  })
})
