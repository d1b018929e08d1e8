import { describe, expect, it } from 'vitest'
import { buildPlacementIndex, place, triggerUrl, type PlacementRequest } from './placement.js'
import { forwardedRest } from './request-target.js'
import { DEFAULT_EDGE_SETTINGS, type RouteSnapshot, type Upstream } from './snapshot.js'

const up = (id: number, cluster: string, url = `http://${cluster}:8080`): Upstream => ({
  id,
  url,
  cluster,
})
const hpc = up(1, 'hpc')
const cc1 = up(2, 'cc1', 'http://cc1:8080/gateway')
const cc2 = up(3, 'cc2')

const snapshot: RouteSnapshot = {
  lineage: 'l',
  version: 1,
  generated_at: '2026-12-02T00:00:00.000Z',
  match_header: 'X-FaDO-Bucket',
  function_header: 'X-FaDO-Function',
  default_policy: 'round_robin',
  settings: DEFAULT_EDGE_SETTINGS,
  routes: {
    images: { policy: 'least_conn', upstreams: [hpc, cc1], bytes: 5_000_000 },
    logs: { policy: 'round_robin', upstreams: [cc1, cc2], bytes: 9_000_000 },
    models: { policy: 'round_robin', upstreams: [cc2], bytes: 1_000, allow_partial: false },
    big: { policy: 'round_robin', upstreams: [hpc], bytes: 80_000_000 },
    nowhere: { policy: 'round_robin', upstreams: [] },
  },
  clusters: { hpc: { zones: ['gpu', 'germany'] }, cc1: { zones: ['germany'] }, cc2: { zones: [] } },
  functions: {
    resize: { zones: [], triggers: { '1': '/function/resize', '2': '/function/resize' } },
    train: { zones: ['gpu'], triggers: { '1': '/fn/train', '2': '/fn/train' } },
    lambda: { zones: [], triggers: { '3': 'https://abc.lambda-url.example/' } },
    ghost: { zones: [], triggers: { '99': '/x' } },
  },
}
const index = buildPlacementIndex(snapshot)
const run = (req: PlacementRequest) =>
  place(req, (b) => (Object.hasOwn(snapshot.routes, b) ? snapshot.routes[b] : undefined), index)

const ok = (req: PlacementRequest) => {
  const p = run(req)
  if (!p.ok) throw new Error(JSON.stringify(p.error))
  return p
}
const failure = (req: PlacementRequest) => {
  const p = run(req)
  if (p.ok) throw new Error(`placed on ${p.route.upstreams.map((u) => u.cluster).join()}`)
  return p.error
}

describe('place: functions', () => {
  it('goes to the trigger target of each data-holding deployment that has one', () => {
    const p = ok({ buckets: 'images', function: 'resize' })
    expect(p.route.upstreams).toEqual([
      { id: 1, url: 'http://hpc:8080/function/resize', cluster: 'hpc', trigger: true },
      { id: 2, url: 'http://cc1:8080/gateway/function/resize', cluster: 'cc1', trigger: true },
    ])
    expect(p.route.policy).toBe('least_conn')
    expect(p.partial).toBe(false)
    expect(p.key).toBe('images')
  })

  it('keeps only clusters with every zone the function requires', () => {
    expect(
      ok({ buckets: 'images', function: 'train' }).route.upstreams.map((u) => u.cluster),
    ).toEqual(['hpc'])
  })

  it('an absolute trigger URL replaces the deployment URL', () => {
    const [u] = ok({ buckets: 'logs', function: 'lambda' }).route.upstreams
    expect(u).toMatchObject({ id: 3, url: 'https://abc.lambda-url.example', cluster: 'cc2' })
  })

  it('unknown function → 404', () => {
    expect(failure({ buckets: 'images', function: 'nope' })).toMatchObject({
      status: 404,
      code: 'unknown_function',
    })
  })

  it('says which condition failed: data, trigger, function zones, request zones', () => {
    expect(failure({ buckets: 'nowhere', function: 'resize' })).toMatchObject({
      status: 503,
      code: 'no_synced_copy',
      message: expect.stringContaining("bucket 'nowhere'"),
    })
    expect(failure({ buckets: 'models', function: 'resize' })).toMatchObject({
      status: 503,
      code: 'no_function_trigger',
      message: "function 'resize' has no trigger in the clusters holding bucket 'models' (cc2)",
    })
    expect(failure({ buckets: 'logs', function: 'train' })).toMatchObject({
      status: 503,
      code: 'function_zones_unmet',
      message: expect.stringMatching(/requires zones gpu; .*\(cc1\)/),
    })
    expect(failure({ buckets: 'images', function: 'resize', zones: 'gpu, france' })).toMatchObject({
      status: 503,
      code: 'zones_unmet',
      message: expect.stringContaining('requires zones gpu, france'),
    })
  })

  it('a trigger on a deployment in no route is ignored', () => {
    expect(failure({ buckets: 'images', function: 'ghost' }).code).toBe('no_function_trigger')
  })
})

describe('place: zones of the invocation', () => {
  it('narrows to clusters having every zone listed, with or without a function', () => {
    expect(ok({ buckets: 'images', zones: 'germany' }).route.upstreams.map((u) => u.id)).toEqual([
      1, 2,
    ])
    expect(ok({ buckets: 'images', zones: 'gpu,germany' }).route.upstreams).toEqual([hpc])
    expect(
      ok({ buckets: 'images', function: 'resize', zones: 'gpu' }).route.upstreams.map((u) => u.url),
    ).toEqual(['http://hpc:8080/function/resize'])
  })

  it('a malformed list → 400', () => {
    for (const zones of ['', ' ', 'gpu,,x', 'gp u', 'a;b'])
      expect(failure({ buckets: 'images', zones })).toMatchObject({
        status: 400,
        code: 'bad_zones_header',
      })
  })
})

describe('place: several buckets', () => {
  it('goes to clusters holding all of them', () => {
    const p = ok({ buckets: 'images, logs' })
    expect(p.route.upstreams).toEqual([cc1])
    expect(p.partial).toBe(false)
    expect(p.key).toBe('images,logs')
  })

  it('else to the cluster holding most of their bytes, marked partial', () => {
    const p = ok({ buckets: 'images,big' })
    // hpc holds images (5 MB) and big (80 MB); cc1 only images.
    expect(p.route.upstreams).toEqual([hpc])
    expect(p.partial).toBe(false)
    const partial = ok({ buckets: 'logs,big' })
    expect(partial.route.upstreams).toEqual([hpc]) // 80 MB beats 9 MB
    expect(partial.partial).toBe(true)
    const logsHeavier = ok({ buckets: 'logs,images' })
    expect(logsHeavier.route.upstreams).toEqual([cc1])
  })

  it('data gravity only among deployments meeting the hard conditions', () => {
    // big is only on hpc, which has no trigger for lambda: only cc2 (logs) runs it.
    const p = ok({ buckets: 'logs,big', function: 'lambda' })
    expect(p.route.upstreams.map((u) => u.cluster)).toEqual(['cc2'])
    expect(p.partial).toBe(true)
  })

  it('503 when partial placement is off for one of them', () => {
    expect(failure({ buckets: 'images,models' })).toMatchObject({
      status: 503,
      code: 'no_full_placement',
      message: expect.stringContaining("partial placement is off for 'models'"),
    })
  })

  it('the global setting forbids partial placement unless a route allows it', () => {
    const strict = buildPlacementIndex({
      ...snapshot,
      settings: { ...DEFAULT_EDGE_SETTINGS, allow_partial: false },
    })
    const routeOf = (b: string) => snapshot.routes[b]
    expect(place({ buckets: 'logs,big' }, routeOf, strict)).toMatchObject({
      ok: false,
      error: { code: 'no_full_placement' },
    })
    expect(place({ buckets: 'images, logs' }, routeOf, strict)).toMatchObject({ ok: true })
  })

  it('unknown bucket → 404 naming it; malformed list → 400; repeats count once', () => {
    expect(failure({ buckets: 'images, nope' })).toMatchObject({
      status: 404,
      message: "no route for bucket 'nope'",
    })
    expect(failure({ buckets: 'images,' }).code).toBe('bad_bucket_header')
    expect(failure({ buckets: Array.from({ length: 17 }, (_, i) => `b${i}`).join(',') }).code).toBe(
      'bad_bucket_header',
    )
    expect(ok({ buckets: 'images, images' }).key).toBe('images')
  })

  it('a header of thousands of names is refused at the 17th, before any route is looked up', () => {
    let lookups = 0
    const routeOf = (b: string) => {
      lookups++
      return snapshot.routes[b]
    }
    const many = Array.from({ length: 3_800 }, (_, i) => `bucket-${i}`).join(',')
    expect(place({ buckets: many }, routeOf, index)).toMatchObject({
      ok: false,
      error: { status: 400, code: 'bad_bucket_header' },
    })
    expect(lookups).toBe(0)
    // Repeats of one name are one bucket, however many.
    expect(
      place({ buckets: Array(50_000).fill('images').join(',') }, routeOf, index),
    ).toMatchObject({ ok: true, key: 'images' })
    const zones = Array.from({ length: 65 }, (_, i) => `z${i}`).join(',')
    expect(failure({ buckets: 'images', zones }).code).toBe('bad_zones_header')
  })
})

describe('trigger targets', () => {
  it('a path appends to the deployment URL; `/` appends nothing to a trigger', () => {
    expect(triggerUrl('http://a:1/prefix', '/function/resize')).toBe(
      'http://a:1/prefix/function/resize',
    )
    expect(triggerUrl('http://a:1', 'https://fn.example/')).toBe('https://fn.example')
    const t = { trigger: true as const }
    expect(forwardedRest(t, { path: '/', query: '' })).toBe('')
    expect(forwardedRest(t, { path: '/', query: '?x=1' })).toBe('?x=1')
    expect(forwardedRest(t, { path: '/a/b', query: '?x=1' })).toBe('/a/b?x=1')
    expect(forwardedRest({}, { path: '/', query: '' })).toBe('/')
  })
})
