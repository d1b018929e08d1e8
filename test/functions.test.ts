/**
 * Function-aware scheduling end to end (issue 15), with real processes: three clusters (MinIO +
 * function server each) whose functions sit at different paths and hosts — OpenFaaS-style
 * `/function/<name>` on hpc and cc1, a host of its own for `resize` on cc2 (as Knative or a
 * Lambda function URL gives). Every invocation must land on a cluster that holds the data, has a
 * trigger for the function and has the zones asked for, at the path and query its trigger
 * expects; function servers read objects from their own cluster's MinIO only, so a wrong
 * placement fails. The same cases run through the Node edge and through workerd.
 */
import type { Miniflare } from 'miniflare'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFunctionServer, type RunningFunctionServer } from '../platform/function-server.js'
import { createToken } from './helpers/control.js'
import { waitFor } from './helpers/ports.js'
import { startWorkerEdge, waitForWorkerVersion } from './helpers/workerd.js'
import {
  startPlatform,
  waitSynced,
  type TestCluster,
  type TestPlatform,
} from './helpers/platform.js'
import { putBytes, randomData, s3Of, sha256 } from './helpers/storage.js'

let p: TestPlatform
let hpc: TestCluster
let cc1: TestCluster
let cc2: TestCluster
/** cc2's `resize`: a host of its own, reached by an absolute trigger URL. */
let resizeHost: RunningFunctionServer
const photo = randomData(300_000)
const archive = randomData(2_000_000)
const scan = randomData(100_000)
const fnIds: Record<string, number> = {}

beforeAll(async () => {
  p = await startPlatform([
    {
      name: 'hpc',
      zones: ['gpu', 'germany'],
      functions: { '/function/resize': 'resize', '/function/train': 'train' },
    },
    {
      name: 'cc1',
      zones: ['germany'],
      functions: { '/function/train': 'train', '/function/thumb': 'thumb' },
    },
    { name: 'cc2', prefix: '/gateway' },
  ])
  ;({ hpc, cc1, cc2 } = p.clusters as Record<'hpc' | 'cc1' | 'cc2', TestCluster>)
  resizeHost = await startFunctionServer({
    cluster: 'cc2',
    storage: s3Of(cc2.minio),
    functions: { '/': 'resize' },
  })
  const bucket = async (
    name: string,
    master: TestCluster,
    replicas: TestCluster[],
    key: string,
    data: Buffer,
  ) => {
    const res = await p.fado.api('POST', '/api/buckets', {
      name,
      storage_id: master.storage_id,
      replica_locations: replicas.map((r) => r.storage_id),
    })
    expect(res.status, res.text).toBe(201)
    await putBytes(master.minio, name, key, data)
    await waitSynced(
      p.fado,
      res.body.bucket_id,
      replicas.map((r) => r.storage_id),
    )
  }
  await bucket('photos', hpc, [cc1, cc2], 'photo.bin', photo)
  await bucket('scans', cc1, [], 'scan.bin', scan)
  await bucket('archive', cc2, [], 'archive.bin', archive)
  const fn = async (
    name: string,
    zones: string[],
    triggers: { faas_id: number; target: string }[],
  ) => {
    const res = await p.fado.api('POST', '/api/functions', { name, zones, triggers })
    expect(res.status, res.text).toBe(201)
    fnIds[name] = res.body.function_id
  }
  await fn(
    'resize',
    [],
    [
      { faas_id: hpc.faas_id, target: '/function/resize' },
      { faas_id: cc2.faas_id, target: resizeHost.url },
    ],
  )
  await fn(
    'train',
    ['gpu'],
    [
      { faas_id: hpc.faas_id, target: '/function/train' },
      { faas_id: cc1.faas_id, target: '/function/train' },
    ],
  )
  await fn('thumb', [], [{ faas_id: cc1.faas_id, target: '/function/thumb' }])
  // Sizes reach routes with the object index (data gravity weighs them).
  await waitFor('bucket sizes in the routes', async () => {
    const routes = (await p.fado.api('GET', '/api/load-balancer')).body.routes
    return routes.archive?.bytes === 2_000_000 && routes.scans?.bytes === 100_000
  })
}, 180_000)

afterAll(async () => {
  await resizeHost?.close()
  await p?.close()
})

describe('the functions API', () => {
  const bad = async (body: unknown, field: string, method = 'POST', path = '/api/functions') => {
    const res = await p.fado.api(method, path, body)
    expect(res.status, res.text).toBe(400)
    expect(res.body.error.field).toBe(field)
  }

  it('lists functions with their zones and triggers, here and in /api/resources', async () => {
    const list = (await p.fado.api('GET', '/api/functions')).body
    expect(list.find((f: { name: string }) => f.name === 'resize')).toEqual({
      function_id: fnIds.resize,
      name: 'resize',
      zones: [],
      triggers: [
        { faas_id: hpc.faas_id, target: '/function/resize' },
        { faas_id: cc2.faas_id, target: resizeHost.url },
      ],
    })
    const resources = (await p.fado.api('GET', '/api/resources')).body
    expect(resources.functions.map((f: { name: string }) => f.name)).toEqual([
      'resize',
      'train',
      'thumb',
    ])
  })

  it('refuses bad input naming the field, and changes nothing', async () => {
    const before = (await p.fado.api('GET', '/api/functions')).text
    await bad({ name: 'a b' }, 'name')
    await bad({ name: 'x', zones: ['ok', 'ok'] }, 'zones')
    await bad({ name: 'x', triggers: [{ faas_id: 999999, target: '/f' }] }, 'triggers[0].faas_id')
    await bad(
      {
        name: 'x',
        triggers: [
          { faas_id: hpc.faas_id, target: '/f' },
          { faas_id: hpc.faas_id, target: '/g' },
        ],
      },
      'triggers[1].faas_id',
    )
    for (const target of [
      '/function/../admin',
      '/f?x=1',
      'ftp://h/f',
      'http://u:p@h/f',
      'f',
      '/a//b',
    ])
      await bad({ name: 'x', triggers: [{ faas_id: hpc.faas_id, target }] }, 'triggers[0].target')
    await bad({ name: 'x', colour: 'red' }, 'colour')
    await bad({ function_id: 12345 }, 'function_id', 'PUT', `/api/functions/${fnIds.thumb}`)
    expect((await p.fado.api('POST', '/api/functions', { name: 'resize' })).status).toBe(409)
    for (const method of ['GET', 'PUT', 'DELETE'])
      expect(
        (await p.fado.api(method, '/api/functions/987654', method === 'PUT' ? {} : undefined))
          .status,
      ).toBe(404)
    expect((await p.fado.api('GET', '/api/functions')).text).toBe(before)
  })

  it('edits triggers (a trailing slash is dropped) and deletes; a FaaS deployment’s removal drops its triggers', async () => {
    const made = await p.fado.api('POST', '/api/functions', {
      name: 'tmp',
      triggers: [{ faas_id: hpc.faas_id, target: '/function/tmp/' }],
    })
    expect(made.body.triggers).toEqual([{ faas_id: hpc.faas_id, target: '/function/tmp' }])
    const extra = await p.fado.api('POST', '/api/faas-deployments', {
      cluster_id: cc1.cluster_id,
      url: 'http://127.0.0.1:9/extra',
    })
    const edited = await p.fado.api('PUT', `/api/functions/${made.body.function_id}`, {
      ...made.body,
      zones: ['germany'],
      triggers: [
        { faas_id: extra.body.faas_id, target: 'https://tmp.example/run/' },
        { faas_id: hpc.faas_id, target: '/function/tmp' },
      ],
    })
    expect(edited.status, edited.text).toBe(200)
    expect(edited.body).toMatchObject({
      zones: ['germany'],
      triggers: [
        { faas_id: hpc.faas_id, target: '/function/tmp' },
        { faas_id: extra.body.faas_id, target: 'https://tmp.example/run' },
      ].sort((a, b) => a.faas_id - b.faas_id),
    })
    const snapshot = (await p.fado.api('GET', '/api/snapshot')).body
    expect(snapshot.functions.tmp.triggers[String(extra.body.faas_id)]).toBe(
      'https://tmp.example/run',
    )
    expect((await p.fado.api('DELETE', `/api/faas-deployments/${extra.body.faas_id}`)).status).toBe(
      204,
    )
    expect(
      (await p.fado.api('GET', `/api/functions/${made.body.function_id}`)).body.triggers,
    ).toEqual([{ faas_id: hpc.faas_id, target: '/function/tmp' }])
    expect((await p.fado.api('DELETE', `/api/functions/${made.body.function_id}`)).status).toBe(204)
    expect((await p.fado.api('GET', `/api/functions/${made.body.function_id}`)).status).toBe(404)
    expect((await p.fado.api('GET', '/api/snapshot')).body.functions.tmp).toBeUndefined()
  })
})

interface Answer {
  status: number
  headers: Headers
  body: Record<string, unknown> & { error?: { code: string; message: string } }
}
type Invoke = (path: string, headers: Record<string, string>) => Promise<Answer>

const viaNode: Invoke = async (path, headers) => {
  const res = await fetch(`${p.edgeUrl}${path}`, { headers, signal: AbortSignal.timeout(15_000) })
  return { status: res.status, headers: res.headers, body: (await res.json()) as Answer['body'] }
}

/** Sends the invocation `times` times and returns every answer. */
const many = (invoke: Invoke, times: number, path: string, headers: Record<string, string>) =>
  Promise.all(Array.from({ length: times }, () => invoke(path, headers)))

interface Landing {
  name: string
  path: string
  headers: Record<string, string>
  /** Cluster → the request target its function server must receive. */
  lands: Record<string, string>
  function?: string
  partial?: boolean
  object?: Buffer
}

const landings = (): Landing[] => [
  {
    name: 'a function goes only where it has a trigger, at the trigger’s path (or host) plus the request’s path and query',
    path: '/?object=photo.bin',
    headers: { 'X-FaDO-Bucket': 'photos', 'X-FaDO-Function': 'resize' },
    lands: { hpc: '/function/resize?object=photo.bin', cc2: '/?object=photo.bin' },
    function: 'resize',
    object: photo,
  },
  {
    name: 'a longer request path is appended to the trigger',
    path: '/v2/run?object=photo.bin&size=64',
    headers: { 'X-FaDO-Bucket': 'photos', 'X-FaDO-Function': 'resize' },
    lands: {
      hpc: '/function/resize/v2/run?object=photo.bin&size=64',
      cc2: '/v2/run?object=photo.bin&size=64',
    },
    function: 'resize',
    object: photo,
  },
  {
    name: 'a function requiring zones runs only in clusters having them',
    path: '/?object=photo.bin',
    headers: { 'X-FaDO-Bucket': 'photos', 'X-FaDO-Function': 'train' },
    lands: { hpc: '/function/train?object=photo.bin' },
    function: 'train',
    object: photo,
  },
  {
    name: 'X-FaDO-Zones narrows a plain invocation to clusters with every zone listed',
    path: '/function/nodeinfo?z=1',
    headers: { 'X-FaDO-Bucket': 'photos', 'X-FaDO-Zones': 'germany' },
    lands: { hpc: '/function/nodeinfo?z=1', cc1: '/function/nodeinfo?z=1' },
  },
  {
    name: 'X-FaDO-Zones with a function',
    path: '/',
    headers: { 'X-FaDO-Bucket': 'photos', 'X-FaDO-Function': 'thumb', 'X-FaDO-Zones': 'germany' },
    lands: { cc1: '/function/thumb' },
    function: 'thumb',
  },
  {
    name: 'several buckets go to the clusters holding all of them',
    path: '/?object=scan.bin',
    headers: { 'X-FaDO-Bucket': 'scans, photos', 'X-FaDO-Function': 'thumb' },
    lands: { cc1: '/function/thumb?object=scan.bin' },
    function: 'thumb',
    object: scan,
  },
  {
    name: 'when none holds all, to the one holding most of their bytes, marked partial',
    path: '/function/image?object=archive.bin',
    headers: { 'X-FaDO-Bucket': 'archive, scans' },
    lands: { cc2: '/gateway/function/image?object=archive.bin' },
    partial: true,
  },
  {
    name: 'without the function header, routing is as before: every holder',
    path: '/function/nodeinfo',
    headers: { 'X-FaDO-Bucket': 'photos' },
    lands: {
      hpc: '/function/nodeinfo',
      cc1: '/function/nodeinfo',
      cc2: '/gateway/function/nodeinfo',
    },
  },
]

const refusals: {
  name: string
  headers: Record<string, string>
  status: number
  code: string
  says: RegExp
}[] = [
  {
    name: 'unknown function',
    headers: { 'X-FaDO-Bucket': 'photos', 'X-FaDO-Function': 'nope' },
    status: 404,
    code: 'unknown_function',
    says: /'nope'/,
  },
  {
    name: 'no holder has a trigger',
    headers: { 'X-FaDO-Bucket': 'archive', 'X-FaDO-Function': 'thumb' },
    status: 503,
    code: 'no_function_trigger',
    says: /function 'thumb' has no trigger in the clusters holding bucket 'archive' \(cc2\)/,
  },
  {
    name: 'the holders with a trigger lack the function’s zones',
    headers: { 'X-FaDO-Bucket': 'scans', 'X-FaDO-Function': 'train' },
    status: 503,
    code: 'function_zones_unmet',
    says: /requires zones gpu/,
  },
  {
    name: 'no holder has the zones asked for',
    headers: { 'X-FaDO-Bucket': 'photos', 'X-FaDO-Zones': 'gpu,mars' },
    status: 503,
    code: 'zones_unmet',
    says: /zones gpu, mars/,
  },
  {
    name: 'a malformed zones header',
    headers: { 'X-FaDO-Bucket': 'photos', 'X-FaDO-Zones': 'gpu,,x' },
    status: 400,
    code: 'bad_zones_header',
    says: /zone names/,
  },
  {
    name: 'one of several buckets unknown',
    headers: { 'X-FaDO-Bucket': 'photos, nope' },
    status: 404,
    code: 'unknown_bucket',
    says: /'nope'/,
  },
]

function routingCases(invoke: () => Invoke) {
  it.each(landings())('$name', async (c) => {
    const answers = await many(invoke(), 8, c.path, c.headers)
    const seen = new Set<string>()
    for (const a of answers) {
      expect(a.status, JSON.stringify(a.body)).toBe(200)
      const cluster = a.headers.get('x-fado-cluster') ?? ''
      expect(Object.keys(c.lands)).toContain(cluster)
      expect(a.body.cluster).toBe(cluster)
      expect(a.body.raw).toBe(c.lands[cluster])
      if (c.function) expect(a.body.function).toBe(c.function)
      if (c.object)
        expect(a.body).toMatchObject({ size: c.object.length, sha256: sha256(c.object) })
      expect(a.headers.get('x-fado-placement')).toBe(c.partial ? 'partial' : null)
      seen.add(cluster)
    }
    expect([...seen].sort()).toEqual(Object.keys(c.lands).sort())
  })

  it.each(refusals)('refuses: $name', async (c) => {
    const a = await invoke()('/', c.headers)
    expect(a.status).toBe(c.status)
    expect(a.body.error?.code).toBe(c.code)
    expect(a.body.error?.message).toMatch(c.says)
  })
}

describe('invocations through the Node edge', () => {
  routingCases(() => viaNode)

  it('partial placement can be forbidden per bucket: 503 naming it', async () => {
    await p.fado.api('PUT', '/api/load-balancer/route-overrides', {
      scans: { allow_partial: false },
    })
    const a = await viaNode('/', { 'X-FaDO-Bucket': 'archive, scans' })
    expect(a.status).toBe(503)
    expect(a.body.error).toMatchObject({
      code: 'no_full_placement',
      message: expect.stringContaining("'scans'"),
    })
    await p.fado.api('PUT', '/api/load-balancer/route-overrides', {})
    expect(
      (await viaNode('/', { 'X-FaDO-Bucket': 'archive, scans' })).headers.get('x-fado-placement'),
    ).toBe('partial')
  })

  it('the function header is a load-balancer setting', async () => {
    const set = await p.fado.api('PUT', '/api/load-balancer/settings', { function_header: 'X-Fn' })
    expect(set.status, set.text).toBe(200)
    const same = await p.fado.api('PUT', '/api/load-balancer/settings', {
      function_header: 'x-fado-bucket',
    })
    expect(same.status).toBe(400)
    expect(same.body.error.field).toBe('function_header')
    const a = await viaNode('/', { 'X-FaDO-Bucket': 'photos', 'X-Fn': 'train' })
    expect(a.body).toMatchObject({ cluster: 'hpc', function: 'train', raw: '/function/train' })
    await p.fado.api('PUT', '/api/load-balancer/settings', { function_header: 'X-FaDO-Function' })
  })
})

describe('the same invocations inside workerd (Workers build, via miniflare)', () => {
  let mf: Miniflare
  let token: string
  beforeAll(async () => {
    token = await createToken(p.fado, 'edge')
    mf = await startWorkerEdge(p.fado, { token })
    // The isolate pulls its first snapshot from control before the cases run.
    await waitForWorkerVersion(
      mf,
      (await p.fado.api('GET', '/api/load-balancer')).body.snapshot_version as number,
    )
  })
  afterAll(async () => {
    await mf?.dispose()
  })

  it('/_fado/status: the version to anybody, the full report only with the edge’s own token', async () => {
    const brief = (await (
      await mf.dispatchFetch('http://edge.local/_fado/status')
    ).json()) as object
    expect(Object.keys(brief).sort()).toEqual([
      'applied_at',
      'generated_at',
      'serving',
      'snapshot_version',
    ])
    const other = await createToken(p.fado, 'edge')
    const wrong = await mf.dispatchFetch('http://edge.local/_fado/status', {
      headers: { authorization: `Bearer ${other}` },
    })
    expect(Object.keys((await wrong.json()) as object)).not.toContain('upstreams')
    const full = (await (
      await mf.dispatchFetch('http://edge.local/_fado/status', {
        headers: { authorization: `Bearer ${token}` },
      })
    ).json()) as { upstreams: unknown[]; lineage: string }
    expect(full.upstreams.length).toBeGreaterThan(0)
    expect(full.lineage).toMatch(/\S/)
  })

  routingCases(() => async (path, headers) => {
    const res = await mf.dispatchFetch(`http://edge.local${path}`, { headers })
    return {
      status: res.status,
      headers: res.headers as unknown as Headers,
      body: (await res.json()) as Answer['body'],
    }
  })
})
