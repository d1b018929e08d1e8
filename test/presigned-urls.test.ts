/**
 * Object bytes that skip control: a download answered with a 307 to a pre-signed URL of the
 * object's copy (the master's, or a synced replica's in the cluster asked for), and uploads
 * written straight to the master with pre-signed URLs (one PUT, or a multipart upload), which
 * FaDO then records as direct writes and replicates. Real MinIO servers and a real SeaweedFS
 * (kind s3): the URLs are fetched as a client would, without any credential.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SEAWEED_PASSWORD, SEAWEED_USER, type SeaweedServer } from '../platform/seaweed-server.js'
import { MINIO_PASSWORD, startSeaweed } from './helpers/minio.js'
import {
  startPlatform,
  waitSynced,
  type TestCluster,
  type TestPlatform,
} from './helpers/platform.js'
import { waitFor } from './helpers/ports.js'
import { randomData, readBytes, s3Of, s3OfSeaweed, sha256 } from './helpers/storage.js'

let p: TestPlatform
let hpc: TestCluster
let cloud: TestCluster
let weed: SeaweedServer
let bucketId: number
const MiB = 1024 * 1024
const data = randomData(300_000)

/** GET without following redirects: the 307 itself. */
const getRaw = (path: string) => p.fado.fetch(path, { redirect: 'manual' })

/** What FaDO's index says of an object (undefined: not listed). */
async function indexed(bucket: string, name: string) {
  const page = (
    await p.fado.api('GET', `/api/objects?bucket=${bucket}&prefix=${encodeURIComponent(name)}`)
  ).body as { objects: { object_id: number; name: string; size: number }[] }
  return page.objects.find((o) => o.name === name)
}

beforeAll(async () => {
  ;[p, weed] = await Promise.all([
    startPlatform([{ name: 'hpc' }, { name: 'cloud' }], {
      config: { s3PollInterval: 1_000, multipartThreshold: 5 * MiB, maxObjectSize: 64 * MiB },
    }),
    startSeaweed(),
  ])
  hpc = p.clusters.hpc!
  cloud = p.clusters.cloud!
  const res = await p.fado.api('POST', '/api/buckets', {
    name: 'presign',
    storage_id: hpc.storage_id,
    replica_locations: [cloud.storage_id],
  })
  expect(res.status, res.text).toBe(201)
  bucketId = res.body.bucket_id
  const put = await p.fado.fetch('/api/objects?path=presign/photos/cat%20one.jpg', {
    method: 'PUT',
    body: new Uint8Array(data),
    headers: { 'content-type': 'image/jpeg' },
  })
  expect(put.status).toBe(201)
  await waitSynced(p.fado, bucketId, [cloud.storage_id])
  await waitFor(
    'the replica to hold the object',
    async () =>
      (await readBytes(cloud.minio, 'presign', 'photos/cat one.jpg').catch(() => Buffer.alloc(0)))
        .length === data.length,
  )
}, 120_000)

afterAll(async () => {
  await p?.close()
  await weed?.destroy()
})

describe('downloads that skip control (?redirect=1)', () => {
  it('answers 307 to a pre-signed URL of the master, which anyone may fetch for the bytes', async () => {
    const object = await indexed('presign', 'photos/cat one.jpg')
    const res = await getRaw(`/api/objects/${object!.object_id}?redirect=1`)
    expect(res.status).toBe(307)
    expect(res.headers.get('x-fado-cluster')).toBe('hpc')
    const location = new URL(res.headers.get('location')!)
    expect(location.host).toBe(hpc.minio.endpoint)
    expect(location.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/)
    expect(res.headers.get('location')).not.toContain(MINIO_PASSWORD)
    const bytes = await fetch(location)
    expect(bytes.status).toBe(200)
    expect(sha256(Buffer.from(await bytes.arrayBuffer()))).toBe(sha256(data))
  })

  it('points at the synced copy in the cluster asked for (?cluster=), by id or by path', async () => {
    const object = await indexed('presign', 'photos/cat one.jpg')
    for (const path of [
      `/api/objects/${object!.object_id}?redirect=1&cluster=cloud`,
      `/api/objects?path=presign/photos/cat%20one.jpg&redirect=1&cluster=cloud`,
    ]) {
      const res = await getRaw(path)
      expect(res.status).toBe(307)
      expect(res.headers.get('x-fado-cluster')).toBe('cloud')
      const location = new URL(res.headers.get('location')!)
      expect(location.host).toBe(cloud.minio.endpoint)
      const bytes = Buffer.from(await (await fetch(location)).arrayBuffer())
      expect(sha256(bytes)).toBe(sha256(data))
    }
  })

  it('a URL stops working when it expires', async () => {
    const res = await getRaw(
      '/api/objects?path=presign/photos/cat%20one.jpg&redirect=1&expires_in=1',
    )
    expect(res.status).toBe(307)
    await new Promise((r) => setTimeout(r, 2_100))
    const late = await fetch(res.headers.get('location')!)
    expect(late.status).toBe(403)
    expect(await late.text()).toMatch(/expired/i)
  })

  it('refuses bad input, naming the field', async () => {
    const object = await indexed('presign', 'photos/cat one.jpg')
    const cases: [string, number, string | undefined][] = [
      [`/api/objects/${object!.object_id}?redirect=yes`, 400, 'redirect'],
      [`/api/objects/${object!.object_id}?redirect=1&cluster=mars`, 400, 'cluster'],
      [`/api/objects/${object!.object_id}?redirect=1&expires_in=0`, 400, 'expires_in'],
      [`/api/objects/${object!.object_id}?redirect=1&expires_in=604801`, 400, 'expires_in'],
      ['/api/objects?path=presign/no-such-object&redirect=1', 404, undefined],
      ['/api/objects/999999?redirect=1', 404, undefined],
    ]
    for (const [path, status, field] of cases) {
      const res = await p.fado.api('GET', path)
      expect(res.status, path).toBe(status)
      if (field) expect(res.body.error.field, path).toBe(field)
    }
  })
})

describe('uploads that skip control (POST /api/objects/upload-url)', () => {
  it('one pre-signed PUT to the master; FaDO records it as a direct write and replicates it', async () => {
    const bytes = randomData(200_000)
    const res = await p.fado.api('POST', '/api/objects/upload-url', {
      bucket: 'presign',
      name: 'direct/one.bin',
      size: bytes.length,
    })
    expect(res.status, res.text).toBe(200)
    expect(res.body).toMatchObject({ method: 'PUT', bucket: 'presign', name: 'direct/one.bin' })
    expect(new URL(res.body.url).host).toBe(hpc.minio.endpoint)
    expect(Date.parse(res.body.expires_at)).toBeGreaterThan(Date.now())
    const put = await fetch(res.body.url, { method: 'PUT', body: new Uint8Array(bytes) })
    expect(put.status).toBe(200)
    await waitFor(
      'FaDO to list the direct write',
      async () => (await indexed('presign', 'direct/one.bin'))?.size === bytes.length,
    )
    await waitFor(
      'the replica to get it',
      async () =>
        (await readBytes(cloud.minio, 'presign', 'direct/one.bin').catch(() => undefined))?.equals(
          bytes,
        ) === true,
    )
  })

  it('over the multipart threshold: parts and a completion, all pre-signed', async () => {
    const bytes = randomData(11 * MiB)
    const res = await p.fado.api('POST', '/api/objects/upload-url', {
      bucket: 'presign',
      name: 'direct/big.bin',
      size: bytes.length,
      content_type: 'application/x-big',
    })
    expect(res.status, res.text).toBe(200)
    expect(res.body).toMatchObject({ method: 'multipart', part_bytes: 5 * MiB })
    expect(res.body.parts).toHaveLength(3)
    const etags: string[] = []
    for (const part of res.body.parts as { part_number: number; url: string }[]) {
      const from = (part.part_number - 1) * res.body.part_bytes
      const put = await fetch(part.url, {
        method: 'PUT',
        body: new Uint8Array(bytes.subarray(from, from + res.body.part_bytes)),
      })
      expect(put.status).toBe(200)
      etags.push(put.headers.get('etag')!)
    }
    const done = await fetch(res.body.complete.url, {
      method: 'POST',
      body:
        '<CompleteMultipartUpload>' +
        etags
          .map((e, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${e}</ETag></Part>`)
          .join('') +
        '</CompleteMultipartUpload>',
    })
    expect(done.status, await done.clone().text()).toBe(200)
    await waitFor(
      'FaDO to list the multipart direct write',
      async () => (await indexed('presign', 'direct/big.bin'))?.size === bytes.length,
    )
    const stored = await s3Of(hpc.minio).stat('presign', 'direct/big.bin')
    expect(stored?.size).toBe(bytes.length)
    expect(sha256(await readBytes(hpc.minio, 'presign', 'direct/big.bin'))).toBe(sha256(bytes))
  })

  it('refuses bad input, naming the field, and changes nothing', async () => {
    const cases: [unknown, number, string | undefined][] = [
      [{ bucket: 'presign' }, 400, 'name'],
      [{ bucket: 'nope', name: 'a' }, 400, 'bucket'],
      [{ bucket: 'presign', name: 'a/../b' }, 400, 'name'],
      [{ bucket: 'presign', name: 'a', size: -1 }, 400, 'size'],
      [{ bucket: 'presign', name: 'a', expires_in: 0 }, 400, 'expires_in'],
      [{ bucket: 'presign', name: 'a', extra: true }, 400, undefined],
      [{ bucket: 'presign', name: 'a', size: 65 * MiB }, 413, 'size'],
    ]
    for (const [body, status, field] of cases) {
      const res = await p.fado.api('POST', '/api/objects/upload-url', body)
      expect(res.status, JSON.stringify(body)).toBe(status)
      if (field) expect(res.body.error.field, JSON.stringify(body)).toBe(field)
    }
    expect(await indexed('presign', 'a')).toBeUndefined()
  })
})

describe('on SeaweedFS (kind s3)', () => {
  it('uploads and downloads with pre-signed URLs; FaDO finds the write by listing', async () => {
    const sw = (await p.fado.api('POST', '/api/clusters', { name: 'sw', zones: [] })).body
    const storage = await p.fado.api('POST', '/api/storage-deployments', {
      alias: 'seaweed',
      cluster_id: sw.cluster_id,
      endpoint: weed.endpoint,
      access_key: SEAWEED_USER,
      secret_key: SEAWEED_PASSWORD,
      kind: 's3',
    })
    expect(storage.status, storage.text).toBe(201)
    const bucket = await p.fado.api('POST', '/api/buckets', {
      name: 'sw-presign',
      storage_id: storage.body.storage_id,
    })
    expect(bucket.status, bucket.text).toBe(201)
    const bytes = randomData(150_000)
    const up = await p.fado.api('POST', '/api/objects/upload-url', {
      bucket: 'sw-presign',
      name: 'in/seaweed.bin',
    })
    expect(up.status, up.text).toBe(200)
    expect(new URL(up.body.url).host).toBe(weed.endpoint)
    expect((await fetch(up.body.url, { method: 'PUT', body: new Uint8Array(bytes) })).status).toBe(
      200,
    )
    await waitFor(
      'FaDO to list the write on SeaweedFS',
      async () => (await indexed('sw-presign', 'in/seaweed.bin'))?.size === bytes.length,
    )
    const res = await getRaw('/api/objects?path=sw-presign/in/seaweed.bin&redirect=1')
    expect(res.status).toBe(307)
    expect(res.headers.get('x-fado-cluster')).toBe('sw')
    const got = Buffer.from(await (await fetch(res.headers.get('location')!)).arrayBuffer())
    expect(got.equals(bytes)).toBe(true)
    expect((await readBytes(s3OfSeaweed(weed), 'sw-presign', 'in/seaweed.bin')).equals(bytes)).toBe(
      true,
    )
  })
})
