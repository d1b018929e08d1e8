/**
 * SeaweedFS as a real second store (issue 13, first slice): tracked as kind `s3` with plain S3
 * credentials — no admin API, its identity a marker object FaDO writes there — holding a replica
 * of a bucket whose master is on MinIO, and the master of a bucket replicated to MinIO; the
 * content is compared on the servers themselves, and invocations reach the cluster whose copy
 * lives on SeaweedFS, where the function reads it from SeaweedFS. Changes made directly on the
 * SeaweedFS master (it has no event stream) are found by FaDO's listing of it.
 */
import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFunctionServer, type RunningFunctionServer } from '../platform/function-server.js'
import { SEAWEED_PASSWORD, SEAWEED_USER, type SeaweedServer } from '../platform/seaweed-server.js'
import type { S3Storage } from '../control/storage/s3.js'
import { startSeaweed } from './helpers/minio.js'
import { waitFor } from './helpers/ports.js'
import {
  startPlatform,
  waitSynced,
  type TestCluster,
  type TestPlatform,
} from './helpers/platform.js'
import { putBytes, randomData, readBytes, s3OfSeaweed, sha256 } from './helpers/storage.js'

let p: TestPlatform
let hpc: TestCluster
let weed: SeaweedServer
let seaweed: S3Storage
let fn: RunningFunctionServer
let storageId: number
let clusterId: number
const small = randomData(20_000)
const big = randomData(6 * 1024 * 1024)

const track = (alias: string, endpoint: string, kind?: string) =>
  p.fado.api('POST', '/api/storage-deployments', {
    alias,
    cluster_id: clusterId,
    endpoint,
    access_key: SEAWEED_USER,
    secret_key: SEAWEED_PASSWORD,
    ...(kind ? { kind } : {}),
  })

const readSeaweed = (bucket: string, key: string) => readBytes(seaweed, bucket, key)

beforeAll(async () => {
  ;[p, weed] = await Promise.all([
    startPlatform([{ name: 'hpc' }], { config: { s3PollInterval: 2_000 } }),
    startSeaweed(),
  ])
  hpc = p.clusters.hpc!
  seaweed = s3OfSeaweed(weed)
  clusterId = (await p.fado.api('POST', '/api/clusters', { name: 'sw', zones: ['seaweed'] })).body
    .cluster_id
  // A bucket that was there before FaDO: imported on tracking.
  await seaweed.makeBucket('preexisting')
  fn = await startFunctionServer({ cluster: 'sw', storage: seaweed })
  await p.fado.api('POST', '/api/faas-deployments', { cluster_id: clusterId, url: fn.url })
}, 120_000)

afterAll(async () => {
  await fn?.close()
  await p?.close()
  await weed?.destroy()
})

describe('tracking SeaweedFS as kind s3', () => {
  it('needs no admin API; the same server under another address is refused (409)', async () => {
    // As 'minio' it cannot be tracked: SeaweedFS has no MinIO admin API.
    const asMinio = await track('seaweed-as-minio', weed.endpoint)
    expect(asMinio.status).toBeGreaterThanOrEqual(502)
    const res = await track('seaweed', weed.endpoint, 's3')
    expect(res.status, res.text).toBe(201)
    expect(res.body).toMatchObject({ kind: 's3', alias: 'seaweed' })
    expect(res.text).not.toContain(SEAWEED_PASSWORD)
    storageId = res.body.storage_id
    const again = await track('seaweed-again', `localhost:${weed.port}`, 's3')
    expect(again.status).toBe(409)
    expect(again.body.error.message).toContain("already tracked as 'seaweed'")
    const buckets = (await p.fado.api('GET', '/api/buckets')).body.map(
      (b: { name: string }) => b.name,
    )
    expect(buckets).toContain('preexisting')
    expect(buckets).not.toContain('fado-identity') // FaDO's marker is not a user bucket
    const reserved = await p.fado.api('POST', '/api/buckets', {
      name: 'fado-identity',
      storage_id: storageId,
    })
    expect(reserved.status).toBe(400)
    expect(reserved.body.error.field).toBe('name')
    // A plain S3 server has no webhook targets: FaDO lists its masters instead.
    const webhook = await p.fado.api('POST', `/api/storage-deployments/${storageId}/webhook`)
    expect(webhook.status).toBe(409)
    expect(webhook.body.error.field).toBe('kind')
  })
})

describe('a mixed platform', () => {
  it('a MinIO master replicates to SeaweedFS: same content there, invocations read it there', async () => {
    const made = await p.fado.api('POST', '/api/buckets', {
      name: 'photos',
      storage_id: hpc.storage_id,
      replica_locations: [storageId],
    })
    expect(made.status, made.text).toBe(201)
    await putBytes(hpc.minio, 'photos', 'small.bin', small)
    await putBytes(hpc.minio, 'photos', 'dir/big.bin', big)
    await waitFor('both objects on SeaweedFS', async () => {
      const keys: string[] = []
      for await (const e of seaweed.listObjects('photos')) keys.push(e.key)
      return keys.length === 2
    })
    await waitSynced(p.fado, made.body.bucket_id, [storageId])
    expect(sha256(await readSeaweed('photos', 'small.bin'))).toBe(sha256(small))
    expect(sha256(await readSeaweed('photos', 'dir/big.bin'))).toBe(sha256(big))
    await waitFor('a route to both clusters', async () => {
      const route = (await p.fado.api('GET', '/api/load-balancer')).body.routes.photos
      return (
        route?.upstreams
          .map((u: { cluster: string }) => u.cluster)
          .sort()
          .join() === 'hpc,sw'
      )
    })
    const seen = new Set<string>()
    for (let i = 0; i < 6; i++) {
      const res = await fetch(`${p.edgeUrl}/function/image?object=dir/big.bin`, {
        headers: { 'X-FaDO-Bucket': 'photos' },
      })
      const body = (await res.json()) as { cluster: string; sha256: string }
      expect(res.status, JSON.stringify(body)).toBe(200)
      expect(body.sha256).toBe(sha256(big))
      seen.add(body.cluster)
    }
    expect([...seen].sort()).toEqual(['hpc', 'sw'])
    expect(fn.hits.get('/function/image')).toBeGreaterThan(0) // read from SeaweedFS itself
  })

  it('a SeaweedFS master replicates to MinIO: uploads and deletes through FaDO reach the replica', async () => {
    const made = await p.fado.api('POST', '/api/buckets', {
      name: 'from-seaweed',
      storage_id: storageId,
      replica_locations: [hpc.storage_id],
    })
    expect(made.status, made.text).toBe(201)
    expect(await seaweed.bucketExists('from-seaweed')).toBe(true)
    const put = await p.fado.fetch('/api/objects?path=from-seaweed/report.bin', {
      method: 'PUT',
      body: Readable.toWeb(Readable.from([big])) as unknown as BodyInit,
      headers: { 'content-length': String(big.length) },
      duplex: 'half',
    } as RequestInit)
    expect(put.status).toBe(201)
    await waitSynced(p.fado, made.body.bucket_id, [hpc.storage_id])
    await waitFor('the object on the MinIO replica', async () =>
      readBytes(hpc.minio, 'from-seaweed', 'report.bin').then(
        (b) => sha256(b) === sha256(big),
        () => false,
      ),
    )
    expect(sha256(await readSeaweed('from-seaweed', 'report.bin'))).toBe(sha256(big))
    const del = await p.fado.fetch('/api/objects?path=from-seaweed/report.bin', {
      method: 'DELETE',
    })
    expect(del.status).toBe(204)
    await waitFor('the delete on the replica', async () =>
      readBytes(hpc.minio, 'from-seaweed', 'report.bin').then(
        () => false,
        () => true,
      ),
    )
    expect(await seaweed.stat('from-seaweed', 'report.bin')).toBeUndefined()
  })

  it('a write and a delete made directly on the SeaweedFS master reach the MinIO replica (listing every 2 s here)', async () => {
    const direct = randomData(50_000)
    const t0 = Date.now()
    await seaweed.putObject('from-seaweed', 'direct.bin', Readable.from([direct]), direct.length)
    await waitFor(
      'the direct write on the replica',
      async () =>
        readBytes(hpc.minio, 'from-seaweed', 'direct.bin').then(
          (b) => sha256(b) === sha256(direct),
          () => false,
        ),
      15_000,
    )
    const took = Date.now() - t0
    expect(took).toBeLessThan(2_000 + 5_000) // the interval + copy time, with room for a busy CI
    const indexed = (await p.fado.api('GET', '/api/objects?bucket=from-seaweed')).body.objects
    expect(indexed.map((o: { name: string }) => o.name)).toContain('direct.bin')
    await seaweed.removeObject('from-seaweed', 'direct.bin')
    await waitFor(
      'the direct delete on the replica',
      async () =>
        readBytes(hpc.minio, 'from-seaweed', 'direct.bin').then(
          () => false,
          () => true,
        ),
      15_000,
    )
  })
})
