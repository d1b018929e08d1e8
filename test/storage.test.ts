/**
 * Storage deployments, buckets and objects against real MinIO servers and a real PostgreSQL:
 * tracking verifies the deployment; buckets and objects land on MinIO (asserted on the servers
 * themselves); uploads and downloads are streamed and byte-identical; changes made directly on a
 * master reach the replicas through the event stream; webhooks at /api/notify work too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { POSTGRES } from './helpers/engines.js'
import { startTestControl, webhookTo, type TestControl } from './helpers/control.js'
import { startMinios, MINIO_PASSWORD, MINIO_USER, type TestMinio } from './helpers/minio.js'
import { freePort, waitFor } from './helpers/ports.js'
import {
  listing,
  putBytes,
  randomData,
  readBytes,
  s3Of,
  sha256,
  trackBody,
} from './helpers/storage.js'

let fado: TestControl
let minios: TestMinio[]
let cluster: number
let storageIds: number[]

beforeAll(async () => {
  fado = await startTestControl(await POSTGRES.target())
  // MinIO sends its webhooks with a notify-scope token: the only thing it may do is notify.
  minios = await startMinios(
    3,
    await Promise.all([0, 1, 2].map((i) => webhookTo(fado, `minio-${i}`))),
  )
  // A bucket that exists before FaDO tracks the deployment, with an object in it.
  await s3Of(minios[0]!).makeBucket('pre-existing')
  await putBytes(minios[0]!, 'pre-existing', 'notes/readme.txt', Buffer.from('already here'))
  cluster = (await fado.api('POST', '/api/clusters', { name: 'home', zones: ['eu'] })).body
    .cluster_id
})

afterAll(async () => {
  await fado?.close()
  await Promise.all((minios ?? []).map((m) => m.destroy()))
})

const resources = async () => (await fado.api('GET', '/api/resources')).body
async function rejected(status: number, method: string, path: string, body?: unknown) {
  const before = await resources()
  const res = await fado.api(method, path, body)
  expect(res.status, `${method} ${path} → ${res.text}`).toBe(status)
  expect(await resources()).toEqual(before)
  return res.body.error as { code: string; message: string; field?: string }
}

describe('storage deployments', () => {
  it('tracks real MinIO deployments, learning their deployment ids, never returning the secret', async () => {
    storageIds = []
    for (const [i, minio] of minios.entries()) {
      const res = await fado.api(
        'POST',
        '/api/storage-deployments',
        trackBody(minio, `minio-${i}`, cluster),
      )
      expect(res.status, res.text).toBe(201)
      expect(res.body).toMatchObject({
        alias: `minio-${i}`,
        endpoint: minio.endpoint,
        use_ssl: false,
        access_key: MINIO_USER,
        cluster_id: cluster,
      })
      expect(res.body.minio_deployment_id).toMatch(/^[0-9a-f-]{36}$/)
      expect(res.body.sqs_arn).toBe('arn:minio:sqs::FADO:webhook')
      expect(res.text).not.toContain(MINIO_PASSWORD)
      storageIds.push(res.body.storage_id)
    }
    const all = await fado.api('GET', '/api/storage-deployments')
    expect(all.text).not.toContain(MINIO_PASSWORD)
    expect(
      new Set(all.body.map((s: { minio_deployment_id: string }) => s.minio_deployment_id)).size,
    ).toBe(3)
    expect(JSON.stringify(await resources())).not.toContain(MINIO_PASSWORD)
  })

  it('refuses to delete a cluster that still holds storage deployments, naming them', async () => {
    const error = await rejected(409, 'DELETE', `/api/clusters/${cluster}`)
    expect(error.code).toBe('conflict')
    expect(error.message).toMatch(/still holds storage deployments minio-0, minio-1, minio-2/)
  })

  it('imports buckets that already exist on a tracked deployment, with their objects', async () => {
    const buckets = (await fado.api('GET', '/api/buckets')).body
    const imported = buckets.find((b: { name: string }) => b.name === 'pre-existing')
    expect(imported).toMatchObject({
      storage_id: storageIds[0],
      zones: [],
      target_replica_count: 0,
      replica_locations: null,
      replicas: [],
    })
    await waitFor('the imported bucket’s objects to be listed', async () => {
      const objects = (await fado.api('GET', '/api/objects?bucket=pre-existing')).body.objects
      return (
        objects.length === 1 && objects[0].name === 'notes/readme.txt' && objects[0].size === 12
      )
    })
  })

  it('refuses unreachable deployments, bad credentials and a deployment tracked twice, changing nothing', async () => {
    const unreachable = await rejected(502, 'POST', '/api/storage-deployments', {
      ...trackBody(minios[0]!, 'ghost', cluster),
      endpoint: `127.0.0.1:${await freePort()}`,
    })
    expect(unreachable.code).toBe('storage_unreachable')
    expect(unreachable.message).toMatch(/unreachable/)
    const badKey = await rejected(502, 'POST', '/api/storage-deployments', {
      ...trackBody(minios[1]!, 'bad-key', cluster),
      endpoint: `localhost:${minios[1]!.port}`,
      secret_key: 'wrong-secret',
    })
    expect(badKey.code).toBe('storage_credentials')
    // The same MinIO under another name (localhost vs 127.0.0.1): same deployment id.
    const twice = await rejected(409, 'POST', '/api/storage-deployments', {
      ...trackBody(minios[1]!, 'again', cluster),
      endpoint: `localhost:${minios[1]!.port}`,
    })
    expect(twice.message).toMatch(/already tracked as 'minio-1'/)
    expect(
      (
        await rejected(
          409,
          'POST',
          '/api/storage-deployments',
          trackBody(minios[1]!, 'minio-0', cluster),
        )
      ).field,
    ).toBe('alias')
    const fields: [Record<string, unknown>, string][] = [
      [{ endpoint: 'http://127.0.0.1:9000' }, 'endpoint'],
      [{ endpoint: '127.0.0.1' }, 'endpoint'],
      [{ cluster_id: 999999 }, 'cluster_id'],
      [{ secret_key: '' }, 'secret_key'],
      [{ use_ssl: 'yes' }, 'use_ssl'],
    ]
    for (const [patch, field] of fields) {
      expect(
        (
          await rejected(400, 'POST', '/api/storage-deployments', {
            ...trackBody(minios[2]!, 'x', cluster),
            ...patch,
          })
        ).field,
      ).toBe(field)
    }
  })
})

describe('buckets and objects', () => {
  it('creates a bucket on its master deployment, and validates names and policies', async () => {
    const res = await fado.api('POST', '/api/buckets', {
      name: 'images',
      storage_id: storageIds[0],
    })
    expect(res.status, res.text).toBe(201)
    expect(res.body).toMatchObject({
      name: 'images',
      storage_id: storageIds[0],
      zones: [],
      target_replica_count: 0,
      replica_locations: null,
      replicas: [],
    })
    expect(await listing(minios[0]!, 'images')).toEqual({})
    expect(await listing(minios[1]!, 'images')).toBeUndefined()

    const bad: [Record<string, unknown>, string][] = [
      [{ name: 'Images' }, 'name'],
      [{ name: 'ab' }, 'name'],
      [{ name: 'a..b' }, 'name'],
      [{ name: '192.168.1.1' }, 'name'],
      [{ name: 'ok-name', storage_id: 999999 }, 'storage_id'],
      [{ name: 'ok-name', target_replica_count: -1 }, 'target_replica_count'],
      [{ name: 'ok-name', target_replica_count: 1.5 }, 'target_replica_count'],
      [{ name: 'ok-name', replica_locations: [storageIds[0]] }, 'replica_locations[0]'],
      [{ name: 'ok-name', replica_locations: [999999] }, 'replica_locations[0]'],
      [{ name: 'ok-name', zones: ['bad zone'] }, 'zones[0]'],
    ]
    for (const [patch, field] of bad) {
      expect(
        (
          await rejected(400, 'POST', '/api/buckets', {
            name: 'ok-name',
            storage_id: storageIds[0],
            ...patch,
          })
        ).field,
        JSON.stringify(patch),
      ).toBe(field)
    }
    expect(await listing(minios[0]!, 'ok-name')).toBeUndefined()
    expect(
      (await rejected(409, 'POST', '/api/buckets', { name: 'images', storage_id: storageIds[1] }))
        .field,
    ).toBe('name')
    expect(
      (await rejected(400, 'PUT', `/api/buckets/${res.body.bucket_id}`, { name: 'renamed' })).field,
    ).toBe('name')
    await rejected(404, 'PUT', '/api/buckets/999999', { zones: [] })
    await rejected(404, 'DELETE', '/api/buckets/999999')
  })

  it('uploads a 10 MB file as a multipart form, lists it and downloads it back byte-identical', async () => {
    const data = randomData(10 * 1024 * 1024)
    const form = new FormData()
    form.set('bucket', 'images')
    form.set('file', new Blob([new Uint8Array(data)], { type: 'image/png' }), 'photos/cat.png')
    const res = await fado.fetch('/api/objects', { method: 'POST', body: form })
    const row = await res.json()
    expect(res.status, JSON.stringify(row)).toBe(201)
    expect(row).toMatchObject({
      name: 'photos/cat.png',
      size: data.length,
      etag: expect.stringMatching(/^[0-9a-f]{32}$/),
    })
    expect(sha256(await readBytes(minios[0]!, 'images', 'photos/cat.png'))).toBe(sha256(data))

    const listed = (await fado.api('GET', '/api/objects?bucket=images')).body.objects
    expect(listed).toContainEqual(
      expect.objectContaining({
        object_id: row.object_id,
        name: 'photos/cat.png',
        size: data.length,
        etag: row.etag,
      }),
    )

    for (const path of [
      `/api/objects/${row.object_id}`,
      '/api/objects?path=images/photos/cat.png',
    ]) {
      const download = await fado.fetch(path)
      expect(download.status).toBe(200)
      expect(download.headers.get('content-type')).toBe('image/png')
      expect(download.headers.get('content-length')).toBe(String(data.length))
      expect(sha256(Buffer.from(await download.arrayBuffer()))).toBe(sha256(data))
    }
  })

  it('uploads with a raw PUT (with and without Content-Length), overwrites, and deletes', async () => {
    const first = await fado.fetch('/api/objects?path=images/raw/a b.txt', {
      method: 'PUT',
      body: 'first version',
    })
    expect(first.status).toBe(201)
    const second = await fado.fetch('/api/objects?path=images/raw/a b.txt', {
      method: 'PUT',
      body: 'second version!',
    })
    expect(second.status).toBe(200)
    expect(await (await fado.fetch('/api/objects?path=images/raw/a b.txt')).text()).toBe(
      'second version!',
    )
    // A streamed body of unknown length.
    const chunks = [Buffer.from('chunk-1 '), Buffer.from('chunk-2')]
    const streamed = await fado.fetch('/api/objects?path=images/raw/streamed.txt', {
      method: 'PUT',
      body: new ReadableStream({
        start(controller) {
          for (const c of chunks) controller.enqueue(c)
          controller.close()
        },
      }),
      duplex: 'half',
    } as RequestInit)
    expect(streamed.status).toBe(201)
    expect((await readBytes(minios[0]!, 'images', 'raw/streamed.txt')).toString()).toBe(
      'chunk-1 chunk-2',
    )

    const row = (await fado.api('GET', '/api/objects?bucket=images')).body.objects.find(
      (o: { name: string }) => o.name === 'raw/a b.txt',
    )
    expect((await fado.api('DELETE', `/api/objects/${row.object_id}`)).status).toBe(204)
    expect(await listing(minios[0]!, 'images')).not.toHaveProperty('raw/a b.txt')
    expect((await fado.api('DELETE', '/api/objects?path=images/raw/streamed.txt')).status).toBe(204)
    expect((await fado.api('GET', `/api/objects/${row.object_id}`)).status).toBe(404)
    expect((await fado.api('GET', '/api/objects?path=images/nope')).status).toBe(404)
    expect((await fado.api('PUT', '/api/objects?path=nobucket/x', 'x')).body.error.field).toBe(
      'path',
    )
    expect((await fado.api('GET', '/api/objects?path=images')).body.error.field).toBe('path')
    const noFile = new FormData()
    noFile.set('bucket', 'images')
    expect(
      (await (await fado.fetch('/api/objects', { method: 'POST', body: noFile })).json()).error
        .field,
    ).toBe('file')
  })

  it('replicates by policy, and a change made directly on the master reaches replicas within a second', async () => {
    const bucket = (
      await fado.api('POST', '/api/buckets', {
        name: 'events-demo',
        storage_id: storageIds[0],
        target_replica_count: 2,
      })
    ).body
    let last: unknown
    await waitFor('both replicas to be synced', async () => {
      const b = (await fado.api('GET', `/api/buckets/${bucket.bucket_id}`)).body
      last = b
      return (
        b.replicas.length === 2 &&
        b.replicas.every((r: { status: string }) => r.status === 'synced')
      )
    }).catch((err: Error) => {
      throw new Error(`${err.message}; bucket: ${JSON.stringify(last)}`)
    })
    expect(await listing(minios[1]!, 'events-demo')).toEqual({})
    expect(await listing(minios[2]!, 'events-demo')).toEqual({})

    const latencies: number[] = []
    for (let i = 0; i < 5; i++) {
      const data = randomData(4096)
      const etag = await putBytes(minios[0]!, 'events-demo', `direct-${i}.bin`, data)
      const t0 = Date.now()
      await waitFor(
        `direct-${i}.bin on both replicas`,
        async () => {
          const [a, b] = [
            await listing(minios[1]!, 'events-demo'),
            await listing(minios[2]!, 'events-demo'),
          ]
          return a?.[`direct-${i}.bin`] === etag && b?.[`direct-${i}.bin`] === etag
        },
        5_000,
      )
      latencies.push(Date.now() - t0)
    }
    expect(Math.max(...latencies), `latencies ${latencies.join(', ')} ms`).toBeLessThan(1000)
    const objects = (await fado.api('GET', '/api/objects?bucket=events-demo')).body.objects
    expect(objects.map((o: { name: string }) => o.name).sort()).toEqual(
      [0, 1, 2, 3, 4].map((i) => `direct-${i}.bin`),
    )

    await s3Of(minios[0]!).removeObject('events-demo', 'direct-0.bin')
    await waitFor(
      'the deletion to reach the replicas',
      async () => {
        const [a, b] = [
          await listing(minios[1]!, 'events-demo'),
          await listing(minios[2]!, 'events-demo'),
        ]
        return !a?.['direct-0.bin'] && !b?.['direct-0.bin']
      },
      5_000,
    )
    expect((await fado.api('GET', '/api/objects?bucket=events-demo')).body.objects).toHaveLength(4)
  })

  it('accepts MinIO webhook notifications at /api/notify', async () => {
    const deploymentId = (await fado.api('GET', `/api/storage-deployments/${storageIds[0]}`)).body
      .minio_deployment_id
    const record = (key: string) => ({
      eventName: 's3:ObjectCreated:Put',
      s3: { bucket: { name: 'events-demo' }, object: { key, size: 3 } },
      responseElements: { 'x-minio-deployment-id': deploymentId },
    })
    const res = await fado.api('POST', '/api/notify', { Records: [record('hooked%20file.txt')] })
    expect(res.status).toBe(200)
    expect(res.body).toEqual({ received: 1, applied: 1, refused: 0 })
    expect(
      (
        await fado.api('POST', '/api/notify', {
          Records: [{ ...record('x'), responseElements: { 'x-minio-deployment-id': 'unknown' } }],
        })
      ).body.applied,
    ).toBe(0)
    expect((await fado.api('POST', '/api/notify', { nothing: true })).body.error.field).toBe(
      'Records',
    )
    expect((await fado.api('POST', '/api/notify', { Records: [] }, null)).status).toBe(401)
  })

  it('asks a deployment for object events only while it holds a master bucket', async () => {
    // Replica-only deployments would report every object FaDO copies to them: bucket events only.
    const feed = fado.running.changeFeed
    expect(feed.objectEventsOn()).toEqual([storageIds[0]])
    const bucket = (
      await fado.api('POST', '/api/buckets', {
        name: 'second-master',
        storage_id: storageIds[1],
        replica_locations: [storageIds[2]],
      })
    ).body
    expect(feed.objectEventsOn().sort()).toEqual([storageIds[0], storageIds[1]].sort())
    // And a change made directly on the new master still reaches its replica.
    const data = randomData(2048)
    const etag = await putBytes(minios[1]!, 'second-master', 'direct.bin', data)
    await waitFor(
      'direct.bin on the replica',
      async () => (await listing(minios[2]!, 'second-master'))?.['direct.bin'] === etag,
      10_000,
    )
    expect((await fado.api('DELETE', `/api/buckets/${bucket.bucket_id}`)).status).toBe(204)
    expect(feed.objectEventsOn()).toEqual([storageIds[0]])
  })

  it('deletes a bucket from its master and its replicas', async () => {
    const bucket = (await fado.api('GET', '/api/buckets')).body.find(
      (b: { name: string }) => b.name === 'events-demo',
    )
    expect((await fado.api('DELETE', `/api/buckets/${bucket.bucket_id}`)).status).toBe(204)
    for (const minio of minios) expect(await listing(minio, 'events-demo')).toBeUndefined()
    expect((await fado.api('GET', `/api/buckets/${bucket.bucket_id}`)).status).toBe(404)
  })

  it('untracking a deployment keeps the master data unless asked, and removes FaDO’s copies', async () => {
    const third = await fado.api('POST', '/api/buckets', {
      name: 'on-third',
      storage_id: storageIds[2],
      replica_locations: [storageIds[1]],
    })
    await putBytes(minios[2]!, 'on-third', 'keep.txt', Buffer.from('user data'))
    await waitFor(
      'the replica',
      async () => (await listing(minios[1]!, 'on-third'))?.['keep.txt'] !== undefined,
    )
    expect((await fado.api('DELETE', `/api/storage-deployments/${storageIds[2]}`)).status).toBe(204)
    expect((await fado.api('GET', `/api/buckets/${third.body.bucket_id}`)).status).toBe(404)
    expect(await listing(minios[2]!, 'on-third')).toEqual({ 'keep.txt': expect.any(String) }) // master data kept
    expect(await listing(minios[1]!, 'on-third')).toBeUndefined() // FaDO's replica removed
  })
})
