import { describe, expect, it } from 'vitest'
import { canonicalJson, parseSnapshot, sameRouteTable, type RouteSnapshot } from './snapshot.js'

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- deliberately broken documents
type Loose = any

const valid: RouteSnapshot = {
  lineage: 'b3f0c1d2-0000-4000-8000-000000000001',
  settings: {
    retries: 2,
    retry_budget: 0.2,
    hash_balance_factor: 1.25,
    health_check: {
      path: '/healthz',
      interval_ms: 1000,
      timeout_ms: 500,
      healthy_threshold: 2,
      unhealthy_threshold: 3,
    },
  },
  version: 3,
  generated_at: '2026-11-27T10:00:00.000Z',
  match_header: 'X-FaDO-Bucket',
  default_policy: 'round_robin',
  routes: {
    images: {
      policy: 'least_conn',
      upstreams: [{ id: 1, url: 'https://faas.a:8443/fn', cluster: 'a' }],
    },
    empty: { policy: 'first', upstreams: [] },
  },
}

describe('parseSnapshot', () => {
  it('accepts a valid snapshot unchanged', () => {
    expect(parseSnapshot(JSON.parse(JSON.stringify(valid)))).toEqual(valid)
  })

  const broken: [string, (s: Loose) => void, RegExp][] = [
    ['version 0', (s) => (s.version = 0), /version/],
    ['version as string', (s) => (s.version = '4'), /version/],
    ['bad date', (s) => (s.generated_at = 'yesterday'), /generated_at/],
    ['header with space', (s) => (s.match_header = 'X Bucket'), /match_header/],
    ['unknown default policy', (s) => (s.default_policy = 'fair'), /default_policy/],
    ['routes as array', (s) => (s.routes = []), /routes/],
    ['unknown route policy', (s) => (s.routes.images.policy = 'lucky'), /routes\.images\.policy/],
    ['upstreams missing', (s) => delete s.routes.images.upstreams, /routes\.images\.upstreams/],
    [
      'upstream URL with query',
      (s) => (s.routes.images.upstreams[0].url = 'http://a/?q'),
      /upstreams\[0\]\.url/,
    ],
    [
      'upstream ftp URL',
      (s) => (s.routes.images.upstreams[0].url = 'ftp://a'),
      /upstreams\[0\]\.url/,
    ],
    ['upstream id missing', (s) => delete s.routes.images.upstreams[0].id, /upstreams\[0\]\.id/],
  ]
  it.each(broken)('refuses %s, naming the field', (_name, breakIt, message) => {
    const copy = JSON.parse(JSON.stringify(valid))
    breakIt(copy)
    expect(() => parseSnapshot(copy)).toThrow(message)
  })

  it('refuses non-objects', () => {
    for (const v of [null, 1, 'x', []]) expect(() => parseSnapshot(v)).toThrow(/not an object/)
  })
})

describe('sameRouteTable', () => {
  it('ignores version, time and key order', () => {
    const reordered = JSON.parse(canonicalJson(valid))
    expect(sameRouteTable(valid, { ...reordered, version: 99, generated_at: 'x' })).toBe(true)
  })
  it('sees a changed upstream', () => {
    const changed = JSON.parse(JSON.stringify(valid))
    changed.routes.images.upstreams[0].url = 'https://faas.b'
    expect(sameRouteTable(valid, changed)).toBe(false)
  })
})
