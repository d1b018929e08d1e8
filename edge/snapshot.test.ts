import { describe, expect, it } from 'vitest'
import { valid } from './snapshot.fixture.js'
import { canonicalJson, parseSnapshot, sameRouteTable } from './snapshot.js'

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- deliberately broken documents
type Loose = any

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
    ['negative bytes', (s) => (s.routes.images.bytes = -1), /routes\.images\.bytes/],
    ['function header with space', (s) => (s.function_header = 'X Fn'), /function_header/],
    ['cluster zones not names', (s) => (s.clusters.a.zones = ['a b']), /clusters\.a\.zones/],
    ['function without triggers', (s) => delete s.functions.resize.triggers, /resize\.triggers/],
    [
      'trigger keyed by a non-id',
      (s) => (s.functions.resize.triggers = { x: '/f' }),
      /resize\.triggers keys/,
    ],
    [
      'trigger climbing with ..',
      (s) => (s.functions.resize.triggers['1'] = '/function/../admin'),
      /resize\.triggers\.1/,
    ],
    [
      'trigger with a query',
      (s) => (s.functions.resize.triggers['1'] = '/function/resize?x=1'),
      /resize\.triggers\.1/,
    ],
    [
      'trigger URL of another scheme',
      (s) => (s.functions.thumb.triggers['1'] = 'ftp://thumb'),
      /thumb\.triggers\.1/,
    ],
    ['settings.allow_partial not boolean', (s) => (s.settings.allow_partial = 1), /allow_partial/],
  ]
  it.each(broken)('refuses %s, naming the field', (_name, breakIt, message) => {
    const copy = JSON.parse(JSON.stringify(valid))
    breakIt(copy)
    expect(() => parseSnapshot(copy)).toThrow(message)
  })

  it('reads a snapshot from before functions existed with their defaults', () => {
    const old: Loose = JSON.parse(JSON.stringify(valid))
    for (const key of ['function_header', 'clusters', 'functions']) delete old[key]
    delete old.settings.allow_partial
    const parsed = parseSnapshot(old)
    expect(parsed.function_header).toBe('X-FaDO-Function')
    expect(parsed.functions).toEqual({})
    expect(parsed.clusters).toEqual({})
    expect(parsed.settings.allow_partial).toBe(true)
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
