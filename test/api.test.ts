/**
 * The admin API against a real control process, on both database engines: for each resource,
 * create / list / update / delete, 400 naming the bad field, 404, 409 on duplicates, 401 without
 * or with a wrong token — and after every rejected call, nothing changed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ENGINES } from './helpers/engines.js'
import { startTestControl, type TestControl } from './helpers/control.js'
import { waitFor } from './helpers/ports.js'

describe.each(ENGINES)('admin API on $name', (engine) => {
  let fado: TestControl
  beforeAll(async () => {
    fado = await startTestControl(await engine.target())
  })
  afterAll(async () => {
    await fado?.close()
  })

  const resources = async () =>
    (await fado.api('GET', '/api/resources')).body as Record<string, unknown>

  /**
   * Resources once the edge serves the snapshot last published: its status (part of resources)
   * follows a change asynchronously, which is not a change made by the call under test.
   */
  const settledResources = async () => {
    await waitFor('the edge to apply the latest snapshot', async () => {
      const published = (await fado.api('GET', '/api/snapshot')).body.version
      const edge = ((await resources()).load_balancer as { edge?: { snapshot_version?: number } })
        .edge
      return edge === undefined || edge.snapshot_version === published
    })
    return resources()
  }

  /** Runs a call that must be rejected with `status` and checks that nothing changed. */
  async function rejected(
    status: number,
    method: string,
    path: string,
    body?: unknown,
    token?: string | null,
  ) {
    const before = await settledResources()
    const res = await fado.api(method, path, body, token)
    expect(res.status, `${method} ${path} ${JSON.stringify(body)} → ${res.text}`).toBe(status)
    expect(res.body.error).toEqual(
      expect.objectContaining({ code: expect.any(String), message: expect.any(String) }),
    )
    expect(res.text).not.toMatch(/\bat .*\.(ts|js):\d+/) // never a stack trace
    expect(await resources()).toEqual(before)
    return res.body.error as { code: string; message: string; field?: string }
  }

  it('serves /healthz without a token', async () => {
    const res = await fado.api('GET', '/healthz', undefined, null)
    expect(res.status).toBe(200)
    expect(res.body.status).toBe('ok')
  })

  it('answers 401 without a token, with a wrong one, or a malformed header — the same way', async () => {
    const errors = [
      await rejected(401, 'GET', '/api/resources', undefined, null),
      await rejected(401, 'GET', '/api/clusters', undefined, 'wrong-token-0123456789'),
      await rejected(401, 'POST', '/api/clusters', { name: 'sneaky' }, 'x'),
      await rejected(401, 'DELETE', '/api/clusters/1', undefined, ''),
    ]
    for (const e of errors) expect(e).toEqual(errors[0])
    const res = await fado.api('GET', '/api/clusters', undefined, 'wrong-token-0123456789')
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/)
  })

  describe('clusters', () => {
    it('creates, lists, reads, updates and deletes a cluster with zones', async () => {
      const created = await fado.api('POST', '/api/clusters', {
        name: 'hpc',
        zones: ['germany', 'high-performance'],
      })
      expect(created.status).toBe(201)
      expect(created.body).toEqual({
        cluster_id: expect.any(Number),
        name: 'hpc',
        zones: ['germany', 'high-performance'],
      })
      const id = created.body.cluster_id as number

      const list = await fado.api('GET', '/api/clusters')
      expect(list.body).toContainEqual(created.body)
      expect((await fado.api('GET', `/api/clusters/${id}`)).body).toEqual(created.body)

      const renamed = await fado.api('PUT', `/api/clusters/${id}`, { name: 'hpc-1' })
      expect(renamed.status).toBe(200)
      expect(renamed.body).toEqual({
        cluster_id: id,
        name: 'hpc-1',
        zones: ['germany', 'high-performance'],
      })
      const rezoned = await fado.api('PUT', `/api/clusters/${id}`, { zones: [] })
      expect(rezoned.body.zones).toEqual([])

      expect((await fado.api('DELETE', `/api/clusters/${id}`)).status).toBe(204)
      expect((await fado.api('GET', '/api/clusters')).body).not.toContainEqual(
        expect.objectContaining({ cluster_id: id }),
      )
    })

    it('a cluster without zones gets an empty list', async () => {
      const created = await fado.api('POST', '/api/clusters', { name: 'cc-nozones' })
      expect(created.body.zones).toEqual([])
    })

    it('rejects bad input with 400 naming the field, and changes nothing', async () => {
      await fado.api('POST', '/api/clusters', { name: 'existing', zones: ['eu'] })
      const cases: [unknown, string][] = [
        [{}, 'name'],
        [{ name: '' }, 'name'],
        [{ name: 'has space' }, 'name'],
        [{ name: 42 }, 'name'],
        [{ name: 'ok', zones: 'germany' }, 'zones'],
        [{ name: 'ok', zones: ['germany', 'germany'] }, 'zones'],
        [{ name: 'ok', zones: ['good', 'bad zone'] }, 'zones[1]'],
        [{ name: 'ok', colour: 'blue' }, 'colour'],
        ['{not json', 'body'],
        [[1, 2], 'body'],
      ]
      for (const [body, field] of cases) {
        const error = await rejected(400, 'POST', '/api/clusters', body)
        expect(error.field, JSON.stringify(body)).toBe(field)
        expect(error.message).toContain(field)
      }
      const existing = (await fado.api('GET', '/api/clusters')).body.find(
        (c: { name: string }) => c.name === 'existing',
      )
      expect(
        (await rejected(400, 'PUT', `/api/clusters/${existing.cluster_id}`, { zones: [1] })).field,
      ).toBe('zones[0]')
      expect((await rejected(400, 'PUT', '/api/clusters/abc', { name: 'x' })).field).toBe(
        'cluster_id',
      )
    })

    it('answers 404 for unknown ids and 409 for duplicate names', async () => {
      await rejected(404, 'GET', '/api/clusters/999999')
      await rejected(404, 'PUT', '/api/clusters/999999', { name: 'nobody' })
      await rejected(404, 'DELETE', '/api/clusters/999999')
      const a = await fado.api('POST', '/api/clusters', { name: 'dup-a' })
      await fado.api('POST', '/api/clusters', { name: 'dup-b' })
      expect((await rejected(409, 'POST', '/api/clusters', { name: 'dup-a' })).field).toBe('name')
      expect(
        (await rejected(409, 'PUT', `/api/clusters/${a.body.cluster_id}`, { name: 'dup-b' })).field,
      ).toBe('name')
    })
  })

  describe('FaaS deployments', () => {
    let clusterId: number
    beforeAll(async () => {
      clusterId = (await fado.api('POST', '/api/clusters', { name: 'faas-home', zones: ['eu'] }))
        .body.cluster_id
    })

    it('creates http and https endpoints with path prefixes, updates and deletes them', async () => {
      const plain = await fado.api('POST', '/api/faas-deployments', {
        cluster_id: clusterId,
        url: 'http://127.0.0.1:8080',
      })
      expect(plain.status).toBe(201)
      expect(plain.body).toEqual({
        faas_id: expect.any(Number),
        cluster_id: clusterId,
        url: 'http://127.0.0.1:8080',
      })
      const prefixed = await fado.api('POST', '/api/faas-deployments', {
        cluster_id: clusterId,
        url: 'https://gateway.example:31112/function/',
      })
      expect(prefixed.body.url).toBe('https://gateway.example:31112/function')

      const list = (await fado.api('GET', '/api/faas-deployments')).body
      expect(list).toContainEqual(plain.body)
      expect(list).toContainEqual(prefixed.body)

      const moved = await fado.api('PUT', `/api/faas-deployments/${plain.body.faas_id}`, {
        url: 'https://127.0.0.1:8443/fn',
      })
      expect(moved.status).toBe(200)
      expect(moved.body).toEqual({ ...plain.body, url: 'https://127.0.0.1:8443/fn' })

      expect((await fado.api('DELETE', `/api/faas-deployments/${plain.body.faas_id}`)).status).toBe(
        204,
      )
      expect((await fado.api('GET', `/api/faas-deployments/${plain.body.faas_id}`)).status).toBe(
        404,
      )
    })

    it('rejects bad URLs and unknown clusters with 400 naming the field', async () => {
      const cases: [unknown, string][] = [
        [{ cluster_id: clusterId }, 'url'],
        [{ cluster_id: clusterId, url: 'ftp://files.example' }, 'url'],
        [{ cluster_id: clusterId, url: 'not a url' }, 'url'],
        [{ cluster_id: clusterId, url: 'http://h.example/x?y=1' }, 'url'],
        [{ cluster_id: clusterId, url: 'http://user:pw@h.example' }, 'url'],
        [{ url: 'http://h.example' }, 'cluster_id'],
        [{ cluster_id: 'one', url: 'http://h.example' }, 'cluster_id'],
        [{ cluster_id: 999999, url: 'http://h.example' }, 'cluster_id'],
      ]
      for (const [body, field] of cases) {
        expect(
          (await rejected(400, 'POST', '/api/faas-deployments', body)).field,
          JSON.stringify(body),
        ).toBe(field)
      }
    })

    it('answers 404 for unknown ids and 409 for a URL already tracked', async () => {
      await fado.api('POST', '/api/faas-deployments', {
        cluster_id: clusterId,
        url: 'http://127.0.0.1:9999',
      })
      expect(
        (
          await rejected(409, 'POST', '/api/faas-deployments', {
            cluster_id: clusterId,
            url: 'http://127.0.0.1:9999/',
          })
        ).field,
      ).toBe('url')
      await rejected(404, 'PUT', '/api/faas-deployments/999999', { url: 'http://127.0.0.1:1' })
      await rejected(404, 'DELETE', '/api/faas-deployments/999999')
    })

    it('deleting a cluster deletes its FaaS deployments', async () => {
      const home = (await fado.api('POST', '/api/clusters', { name: 'doomed' })).body.cluster_id
      const faas = (
        await fado.api('POST', '/api/faas-deployments', {
          cluster_id: home,
          url: 'http://127.0.0.1:7777',
        })
      ).body
      expect((await fado.api('DELETE', `/api/clusters/${home}`)).status).toBe(204)
      expect((await fado.api('GET', `/api/faas-deployments/${faas.faas_id}`)).status).toBe(404)
    })
  })

  describe('load balancer', () => {
    it('shows settings, routes, overrides and the snapshot version', async () => {
      const res = await fado.api('GET', '/api/load-balancer')
      expect(res.status).toBe(200)
      expect(res.body).toEqual({
        settings: {
          default_policy: 'round_robin',
          match_header: 'X-FaDO-Bucket',
          retries: 2,
          retry_budget: 0.2,
          hash_balance_factor: 0,
          health_check: null,
          function_header: 'X-FaDO-Function',
          allow_partial: true,
          locality: 'prefer',
        },
        routes: expect.any(Object),
        route_overrides: {},
        snapshot_version: expect.any(Number),
        edge: expect.objectContaining({ upstreams: expect.any(Array) }),
      })
      expect(res.body.snapshot_version).toBeGreaterThan(0)
      // The in-process edge reports the version it serves, and comes to serve the one just
      // published (its workers take it over IPC and report back: a round trip behind, not more).
      const published = res.body.snapshot_version as number
      let served = res.body.edge.snapshot_version as number
      await waitFor(
        'the edge to serve the published snapshot',
        async () => {
          served = (await fado.api('GET', '/api/load-balancer')).body.edge.snapshot_version
          return served >= published
        },
        5_000,
      )
      expect(served).toBeGreaterThanOrEqual(published)
    })

    it('changes the default policy and header; a real change publishes a new snapshot version', async () => {
      const before = (await fado.api('GET', '/api/load-balancer')).body.snapshot_version as number
      const put = await fado.api('PUT', '/api/load-balancer/settings', {
        default_policy: 'least_conn',
        match_header: 'X-Data-Bucket',
      })
      expect(put.status).toBe(200)
      expect(put.body).toMatchObject({
        default_policy: 'least_conn',
        match_header: 'X-Data-Bucket',
      })
      const after = (await fado.api('GET', '/api/load-balancer')).body
      expect(after.settings).toEqual(put.body)
      expect(after.snapshot_version).toBe(before + 1)
      const snapshot = (await fado.api('GET', '/api/snapshot')).body
      expect(snapshot).toMatchObject({
        version: before + 1,
        match_header: 'X-Data-Bucket',
        default_policy: 'least_conn',
      })

      // The same settings again: no new version.
      await fado.api('PUT', '/api/load-balancer/settings', { default_policy: 'least_conn' })
      expect((await fado.api('GET', '/api/load-balancer')).body.snapshot_version).toBe(before + 1)
      await fado.api('PUT', '/api/load-balancer/settings', {
        default_policy: 'round_robin',
        match_header: 'X-FaDO-Bucket',
      })
    })

    it('edge settings (retries, retry budget, bounded-load hashing, health checks) travel in the snapshot', async () => {
      const put = await fado.api('PUT', '/api/load-balancer/settings', {
        retries: 1,
        retry_budget: 0.1,
        hash_balance_factor: 1.25,
        health_check: { path: '/healthz' },
      })
      expect(put.status, put.text).toBe(200)
      expect(put.body.health_check).toEqual({
        path: '/healthz',
        interval_ms: 5000,
        timeout_ms: 1000,
        healthy_threshold: 2,
        unhealthy_threshold: 3,
      })
      const snapshot = (await fado.api('GET', '/api/snapshot')).body
      expect(snapshot.settings).toEqual({
        retries: 1,
        retry_budget: 0.1,
        hash_balance_factor: 1.25,
        health_check: put.body.health_check,
        allow_partial: true,
        locality: 'prefer',
      })
      // GET gives what PUT takes: the round trip changes nothing.
      const settings = (await fado.api('GET', '/api/load-balancer/settings')).body
      expect((await fado.api('PUT', '/api/load-balancer/settings', settings)).body).toEqual(
        settings,
      )
      await fado.api('PUT', '/api/load-balancer/settings', {
        retries: 2,
        retry_budget: 0.2,
        hash_balance_factor: 0,
        health_check: null,
      })
    })

    it('long-polls the snapshot: answers as soon as a new version is published, else 304', async () => {
      const first = await fado.api('GET', '/api/snapshot')
      const current = first.body.version as number
      const etag = first.headers.get('etag') as string
      expect(etag).toBe(`"${first.body.lineage}:${current}"`)
      const idle = await fado.fetch('/api/snapshot?wait=0.3', {
        headers: { 'if-none-match': etag },
      })
      expect(idle.status).toBe(304)
      const t0 = Date.now()
      const waiting = fado.fetch('/api/snapshot?wait=20', { headers: { 'if-none-match': etag } })
      await new Promise((r) => setTimeout(r, 200))
      await fado.api('PUT', '/api/load-balancer/settings', { default_policy: 'random' })
      const answered = await waiting
      expect(answered.status).toBe(200)
      expect((await answered.json()).version).toBe(current + 1)
      expect(Date.now() - t0).toBeLessThan(5_000)
      await fado.api('PUT', '/api/load-balancer/settings', { default_policy: 'round_robin' })
      expect((await rejected(400, 'GET', '/api/snapshot?wait=forever')).field).toBe('wait')
    })

    it('rejects bad settings with 400 naming the field', async () => {
      const cases: [unknown, string][] = [
        [{ default_policy: 'fastest-ever' }, 'default_policy'],
        [{ match_header: 'X Bad Header' }, 'match_header'],
        [{ match_header: '' }, 'match_header'],
        [{ match_header: 'Host' }, 'match_header'],
        [{ policy: 'random' }, 'policy'],
        [{ retries: 11 }, 'retries'],
        [{ retries: 1.5 }, 'retries'],
        [{ retry_budget: 1.2 }, 'retry_budget'],
        [{ hash_balance_factor: 0.5 }, 'hash_balance_factor'],
        [{ health_check: { path: 'healthz' } }, 'health_check.path'],
        [
          { health_check: { path: '/h', interval_ms: 1000, timeout_ms: 2000 } },
          'health_check.timeout_ms',
        ],
        [{ health_check: { path: '/h', every: 5 } }, 'health_check.every'],
      ]
      for (const [body, field] of cases) {
        expect((await rejected(400, 'PUT', '/api/load-balancer/settings', body)).field).toBe(field)
      }
    })

    it('route overrides replace upstreams and policy of a bucket; {} removes them', async () => {
      const { running } = fado
      const cluster = (await fado.api('POST', '/api/clusters', { name: 'lb-home' })).body
      const other = (await fado.api('POST', '/api/clusters', { name: 'lb-other' })).body
      const near = (
        await fado.api('POST', '/api/faas-deployments', {
          cluster_id: cluster.cluster_id,
          url: 'http://127.0.0.1:8101',
        })
      ).body
      const far = (
        await fado.api('POST', '/api/faas-deployments', {
          cluster_id: other.cluster_id,
          url: 'http://127.0.0.1:8102',
        })
      ).body
      // Buckets are created through storage deployments (MinIO); here the rows stand in for one.
      await running.db.query(
        `INSERT INTO storage_deployments (cluster_id, minio_deployment_id, alias, endpoint, access_key, secret_key, use_ssl)
         VALUES ($1, 'dep-lb', 'lb-store', '127.0.0.1:1', 'access', 'TOP-SECRET-VALUE', false)`,
        [cluster.cluster_id],
      )
      await running.db.query(
        `INSERT INTO buckets (storage_id, name) SELECT storage_id, 'images' FROM storage_deployments WHERE alias = 'lb-store'`,
      )
      await running.publisher.publishNow()

      const routes = (await fado.api('GET', '/api/load-balancer')).body.routes
      expect(routes.images).toEqual({
        policy: 'round_robin',
        upstreams: [{ id: near.faas_id, url: near.url, cluster: 'lb-home' }],
        bytes: 0,
      })

      const put = await fado.api('PUT', '/api/load-balancer/route-overrides', {
        images: { policy: 'first', faas_ids: [far.faas_id, near.faas_id] },
      })
      expect(put.status).toBe(200)
      const overridden = (await fado.api('GET', '/api/load-balancer')).body
      expect(overridden.route_overrides).toEqual({
        images: { policy: 'first', faas_ids: [far.faas_id, near.faas_id] },
      })
      expect(overridden.routes.images.policy).toBe('first')
      expect(overridden.routes.images.upstreams.map((u: { id: number }) => u.id).sort()).toEqual(
        [near.faas_id, far.faas_id].sort(),
      )

      const errors: [unknown, string][] = [
        [{ nosuchbucket: { policy: 'first' } }, 'nosuchbucket'],
        [{ images: { faas_ids: [999999] } }, 'images.faas_ids'],
        [{ images: { policy: 'sometimes' } }, 'images.policy'],
        [{ images: {} }, 'images'],
        [{ images: { faas_ids: [] } }, 'images.faas_ids'],
        [{ images: { weight: 3 } }, 'images.weight'],
        [[], 'body'],
      ]
      for (const [body, field] of errors) {
        expect(
          (await rejected(400, 'PUT', '/api/load-balancer/route-overrides', body)).field,
          JSON.stringify(body),
        ).toBe(field)
      }

      expect((await fado.api('PUT', '/api/load-balancer/route-overrides', {})).status).toBe(200)
      const cleared = (await fado.api('GET', '/api/load-balancer')).body
      expect(cleared.route_overrides).toEqual({})
      expect(cleared.routes.images.upstreams.map((u: { id: number }) => u.id)).toEqual([
        near.faas_id,
      ])

      // The storage secret never appears in any answer.
      expect(JSON.stringify(await resources())).not.toContain('TOP-SECRET-VALUE')
      expect(
        (await fado.api('GET', '/api/resources')).body.storage_deployments[0],
      ).not.toHaveProperty('secret_key')
    })
  })

  it('answers unknown API paths with a JSON 404', async () => {
    const res = await fado.api('GET', '/api/nothing-here')
    expect(res.status).toBe(404)
    expect(res.body.error.code).toBe('not_found')
  })

  it('answers an unchanged /api/resources with 304 to its ETag, and a changed one with 200', async () => {
    const first = await fado.fetch('/api/resources')
    const etag = first.headers.get('etag') as string
    expect(first.status).toBe(200)
    expect(etag).toBeTruthy()
    const same = await fado.fetch('/api/resources', { headers: { 'if-none-match': etag } })
    expect(same.status).toBe(304)
    expect(await same.text()).toBe('')
    const created = await fado.api('POST', '/api/clusters', { name: 'etag-probe' })
    const changed = await fado.fetch('/api/resources', { headers: { 'if-none-match': etag } })
    expect(changed.status).toBe(200)
    expect(JSON.stringify(await changed.json())).toContain('etag-probe')
    await fado.api('DELETE', `/api/clusters/${created.body.cluster_id}`)
  })

  it('serves the admin page at / and at client routes, with a strict content security policy', async () => {
    for (const path of ['/', '/buckets', '/objects/images']) {
      const res = await fado.api('GET', path, undefined, null)
      expect(res.status, path).toBe(200)
      expect(res.headers.get('content-type')).toMatch(/^text\/html/)
      expect(res.headers.get('content-security-policy')).toContain("default-src 'self'")
      expect(res.text).toContain('<div id="app">')
    }
    const page = (await fado.api('GET', '/', undefined, null)).text
    const script = /src="(\/assets\/main-\w+\.js)"/.exec(page)?.[1] as string
    const asset = await fado.api('GET', script, undefined, null)
    expect(asset.status).toBe(200)
    expect(asset.headers.get('content-type')).toMatch(/^text\/javascript/)
    expect(asset.headers.get('cache-control')).toContain('immutable')
    const missing = await fado.api('GET', '/assets/main-NOPE.js', undefined, null)
    expect(missing.status).toBe(404)
    expect(missing.body.error.code).toBe('not_found')
  })
})
