import { describe, expect, it } from 'vitest'
import { DEFAULT_EDGE_SETTINGS } from '../../edge/snapshot.js'
import { compileRoutes, roughBytes, type RouteInputs } from './compile.js'

const base: RouteInputs = {
  ...DEFAULT_EDGE_SETTINGS,
  match_header: 'X-FaDO-Bucket',
  function_header: 'X-FaDO-Function',
  default_policy: 'round_robin',
  clusters: [
    { cluster_id: 1, name: 'hpc', zones: ['hpc', 'gpu'] },
    { cluster_id: 2, name: 'cc1', zones: [] },
    { cluster_id: 3, name: 'cc2', zones: ['gpu'] },
  ],
  faas: [
    { faas_id: 10, cluster_id: 1, url: 'http://hpc:8080' },
    { faas_id: 11, cluster_id: 1, url: 'https://hpc-b:8443/fn' },
    { faas_id: 20, cluster_id: 2, url: 'http://cc1:8080' },
    { faas_id: 30, cluster_id: 3, url: 'http://cc2:8080' },
  ],
  bucket_clusters: [],
  bucket_bytes: new Map(),
  functions: [],
  overrides: {},
}

const ids = (routes: ReturnType<typeof compileRoutes>['routes'], bucket: string) =>
  routes[bucket]?.upstreams.map((u) => u.id)

describe('compileRoutes', () => {
  const cases: {
    name: string
    input: Partial<RouteInputs>
    expect: Record<string, number[] | undefined>
  }[] = [
    {
      name: 'a bucket only on its master routes to the master cluster’s FaaS endpoints',
      input: { bucket_clusters: [{ bucket_name: 'images', cluster_id: 1 }] },
      expect: { images: [10, 11] },
    },
    {
      name: 'synced replicas add their clusters',
      input: {
        bucket_clusters: [
          { bucket_name: 'images', cluster_id: 3 },
          { bucket_name: 'images', cluster_id: 1 },
        ],
      },
      expect: { images: [10, 11, 30] },
    },
    {
      name: 'a bucket whose clusters have no FaaS endpoint has an empty route (→ 503 at the edge)',
      input: { faas: [], bucket_clusters: [{ bucket_name: 'lonely', cluster_id: 2 }] },
      expect: { lonely: [] },
    },
    {
      name: 'a bucket without any servable copy still gets a route, with no upstreams',
      input: { bucket_clusters: [{ bucket_name: 'new', cluster_id: null }] },
      expect: { new: [] },
    },
    {
      name: 'an override names upstreams explicitly, even outside the holding clusters, in its order',
      input: {
        bucket_clusters: [{ bucket_name: 'images', cluster_id: 1 }],
        overrides: { images: { faas_ids: [30, 20] } },
      },
      expect: { images: [30, 20] },
    },
    {
      name: 'an override naming a FaaS deployment that no longer exists skips it',
      input: {
        bucket_clusters: [{ bucket_name: 'images', cluster_id: 1 }],
        overrides: { images: { faas_ids: [99, 20] } },
      },
      expect: { images: [20] },
    },
    {
      name: 'an override for a bucket that does not exist adds no route',
      input: { bucket_clusters: [], overrides: { ghost: { faas_ids: [10] } } },
      expect: { ghost: undefined },
    },
  ]
  it.each(cases)('$name', ({ input, expect: expected }) => {
    const { routes } = compileRoutes({ ...base, ...input })
    for (const [bucket, want] of Object.entries(expected)) expect(ids(routes, bucket)).toEqual(want)
  })

  it('uses the default policy unless an override sets one, and names clusters', () => {
    const table = compileRoutes({
      ...base,
      default_policy: 'least_conn',
      bucket_clusters: [
        { bucket_name: 'a', cluster_id: 2 },
        { bucket_name: 'b', cluster_id: 2 },
      ],
      overrides: { b: { policy: 'hash' } },
    })
    expect(table.routes.a).toEqual({
      policy: 'least_conn',
      upstreams: [{ id: 20, url: 'http://cc1:8080', cluster: 'cc1' }],
      bytes: 0,
    })
    expect(table.routes.b?.policy).toBe('hash')
    expect(table.routes.b?.upstreams.map((u) => u.id)).toEqual([20])
    expect(table.match_header).toBe('X-FaDO-Bucket')
  })

  it('is deterministic whatever the input order', () => {
    const rows = [
      { bucket_name: 'z', cluster_id: 3 },
      { bucket_name: 'a', cluster_id: 1 },
      { bucket_name: 'z', cluster_id: 1 },
    ]
    const one = compileRoutes({ ...base, bucket_clusters: rows })
    const two = compileRoutes({
      ...base,
      bucket_clusters: [...rows].reverse(),
      faas: [...base.faas].reverse(),
    })
    expect(JSON.stringify(two)).toBe(JSON.stringify(one))
  })

  it('carries cluster zones and functions once each, triggers only on existing deployments', () => {
    const table = compileRoutes({
      ...base,
      bucket_clusters: [{ bucket_name: 'a', cluster_id: 1 }],
      functions: [
        {
          name: 'train',
          zones: ['gpu'],
          triggers: [
            { faas_id: 10, target: '/function/train' },
            { faas_id: 99, target: '/gone' },
          ],
        },
        { name: 'lambda', zones: [], triggers: [{ faas_id: 30, target: 'https://fn.example' }] },
      ],
    })
    expect(table.clusters).toEqual({
      hpc: { zones: ['hpc', 'gpu'] },
      cc1: { zones: [] },
      cc2: { zones: ['gpu'] },
    })
    expect(table.functions).toEqual({
      lambda: { zones: [], triggers: { '30': 'https://fn.example' } },
      train: { zones: ['gpu'], triggers: { '10': '/function/train' } },
    })
    expect(Object.keys(table.functions)).toEqual(['lambda', 'train'])
    expect(table.function_header).toBe('X-FaDO-Function')
  })

  it('routes carry bucket sizes to two significant digits, and an override on partial placement', () => {
    const table = compileRoutes({
      ...base,
      bucket_clusters: [
        { bucket_name: 'a', cluster_id: 1 },
        { bucket_name: 'b', cluster_id: 1 },
      ],
      bucket_bytes: new Map([
        ['a', 123_456_789],
        ['b', 42],
      ]),
      overrides: { b: { allow_partial: false } },
    })
    expect(table.routes.a?.bytes).toBe(120_000_000)
    expect(table.routes.b).toMatchObject({ bytes: 42, allow_partial: false })
    expect(table.routes.a?.allow_partial).toBeUndefined()
    expect([0, 99, 100, 1049, 1050, 999_999].map(roughBytes)).toEqual([
      0, 99, 100, 1000, 1100, 1_000_000,
    ])
  })
})
