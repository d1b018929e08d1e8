/**
 * How FaDO addresses an S3 server (issue 13): the region requests are signed for, and path-style
 * vs virtual-host addressing — against real servers. A MinIO requiring region eu-west-1 refuses
 * FaDO's default region and works with the deployment's own; a real SeaweedFS answering
 * {bucket}.localhost is driven through every adaptor call with virtual-host addressing. This
 * machine's resolver does not answer *.localhost (no wildcard DNS), so the test gives the adaptor a
 * host resolver that maps every name to 127.0.0.1 — named here as the one stand-in — and records
 * the names it was asked for, which is how the test sees the bucket travel in the host name.
 * And least privilege: a MinIO user with S3 rights only (no admin right) is tracked as kind s3.
 */
import type { LookupFunction } from 'node:net'
import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SEAWEED_PASSWORD, SEAWEED_USER, type SeaweedServer } from '../platform/seaweed-server.js'
import { startMinioServer } from '../platform/minio-server.js'
import { S3Storage } from '../control/storage/s3.js'
import { POSTGRES } from './helpers/engines.js'
import { startTestControl, type TestControl } from './helpers/control.js'
import {
  addMinioUser,
  MINIO_PASSWORD,
  MINIO_USER,
  requireMinio,
  startMinio,
  startSeaweed,
  type TestMinio,
} from './helpers/minio.js'
import { randomData, readBytes, sha256, uploadForm } from './helpers/storage.js'

let fado: TestControl
let regional: TestMinio
let weed: SeaweedServer
let clusterId: number
const asked: string[] = []
/** Stand-in for wildcard DNS: every name is 127.0.0.1 (what *.localhost would be). */
const loopbackLookup = ((hostname: string, options: unknown, callback?: unknown) => {
  asked.push(hostname)
  const cb = (typeof options === 'function' ? options : callback) as (
    err: null,
    address: string | { address: string; family: number }[],
    family?: number,
  ) => void
  if (typeof options === 'object' && (options as { all?: boolean } | null)?.all)
    cb(null, [{ address: '127.0.0.1', family: 4 }])
  else cb(null, '127.0.0.1', 4)
}) as LookupFunction

beforeAll(async () => {
  ;[fado, regional, weed] = await Promise.all([
    startTestControl(await POSTGRES.target()),
    startMinioServer({ bin: requireMinio(), region: 'eu-west-1' }),
    startSeaweed({ domain: 'localhost' }),
  ])
  clusterId = (await fado.api('POST', '/api/clusters', { name: 'eu', zones: [] })).body.cluster_id
}, 120_000)

afterAll(async () => {
  await fado?.close()
  await regional?.destroy()
  await weed?.destroy()
})

describe('region', () => {
  const track = (extra: Record<string, unknown>) =>
    fado.api('POST', '/api/storage-deployments', {
      alias: 'regional',
      cluster_id: clusterId,
      endpoint: regional.endpoint,
      access_key: MINIO_USER,
      secret_key: MINIO_PASSWORD,
      kind: 's3',
      ...extra,
    })

  it('a server requiring eu-west-1 refuses the default region and works with its own', async () => {
    const wrong = await track({})
    expect(wrong.status).toBe(502)
    expect(wrong.text).toMatch(/region|AuthorizationHeaderMalformed/i)
    const bad = await track({ region: 'EU West' })
    expect(bad.status).toBe(400)
    expect(bad.body.error.field).toBe('region')

    const res = await track({ region: 'eu-west-1' })
    expect(res.status, res.text).toBe(201)
    expect(res.body).toMatchObject({ region: 'eu-west-1', addressing: 'path' })
    const bucket = await fado.api('POST', '/api/buckets', {
      name: 'eu-data',
      storage_id: res.body.storage_id,
    })
    expect(bucket.status, bucket.text).toBe(201)
    const data = randomData(50_000)
    expect((await uploadForm(fado.fetch, 'eu-data', 'report.bin', data)).status).toBe(201)
    expect(sha256(await readBytes(regional.storage(), 'eu-data', 'report.bin'))).toBe(sha256(data))
  })

  it('virtual-host addressing is refused for kind minio (its admin API is by path)', async () => {
    const res = await track({ kind: 'minio', addressing: 'virtual', region: 'eu-west-1' })
    expect(res.status).toBe(400)
    expect(res.body.error.field).toBe('addressing')
  })
})

describe('least privilege', () => {
  it('a MinIO user with S3 rights only (no admin right) is tracked as kind s3', async () => {
    const minio = await startMinio()
    try {
      await addMinioUser(minio, {
        accessKey: 'fado-s3-only',
        secretKey: 'plain-s3-secret-456',
        policy: 'readwrite',
      })
      const body = {
        alias: 'minio-plain',
        cluster_id: clusterId,
        endpoint: minio.endpoint,
        access_key: 'fado-s3-only',
        secret_key: 'plain-s3-secret-456',
      }
      // As 'minio' FaDO needs admin rights, and says which.
      const asMinio = await fado.api('POST', '/api/storage-deployments', body)
      expect(asMinio.status).toBe(502)
      expect(asMinio.body.error.message).toMatch(/admin:ServerInfo is needed/)
      const res = await fado.api('POST', '/api/storage-deployments', { ...body, kind: 's3' })
      expect(res.status, res.text).toBe(201)
      const bucket = await fado.api('POST', '/api/buckets', {
        name: 'least-privilege',
        storage_id: res.body.storage_id,
      })
      expect(bucket.status, bucket.text).toBe(201)
      const data = randomData(20_000)
      expect((await uploadForm(fado.fetch, 'least-privilege', 'a.bin', data)).status).toBe(201)
      expect(sha256(await readBytes(minio, 'least-privilege', 'a.bin'))).toBe(sha256(data))
      // The same server with admin credentials under another address, as kind minio: one server.
      const admin = {
        alias: 'minio-admin',
        cluster_id: clusterId,
        endpoint: `localhost:${minio.port}`,
        access_key: MINIO_USER,
        secret_key: MINIO_PASSWORD,
      }
      const twice = await fado.api('POST', '/api/storage-deployments', admin)
      expect(twice.status, twice.text).toBe(409)
      expect(twice.body.error.message).toContain("already tracked as 'minio-plain'")
      const untracked = await fado.api(
        'DELETE',
        `/api/storage-deployments/${res.body.storage_id}?delete_data=true`,
      )
      expect(untracked.status).toBe(204)
      // …and the other way round: tracked as minio first, then as s3 under another address.
      const first = await fado.api('POST', '/api/storage-deployments', admin)
      expect(first.status, first.text).toBe(201)
      const asS3 = await fado.api('POST', '/api/storage-deployments', { ...body, kind: 's3' })
      expect(asS3.status, asS3.text).toBe(409)
      expect(asS3.body.error.message).toContain("already tracked as 'minio-admin'")
      expect(
        (await fado.api('DELETE', `/api/storage-deployments/${first.body.storage_id}`)).status,
      ).toBe(204)
    } finally {
      await minio.destroy()
    }
  })
})

describe('virtual-host addressing on SeaweedFS', () => {
  it('every adaptor call works with the bucket in the host name', async () => {
    const virtual = new S3Storage(
      {
        endpoint: `localhost:${weed.port}`,
        use_ssl: false,
        access_key: SEAWEED_USER,
        secret_key: SEAWEED_PASSWORD,
        kind: 's3',
        addressing: 'virtual',
      },
      { lookup: loopbackLookup, multipartThresholdBytes: 5 * 1024 * 1024 },
    )
    const plain = new S3Storage({
      endpoint: weed.endpoint,
      use_ssl: false,
      access_key: SEAWEED_USER,
      secret_key: SEAWEED_PASSWORD,
      kind: 's3',
    })
    await virtual.makeBucket('vhost')
    expect(await virtual.bucketExists('vhost')).toBe(true)
    expect(await virtual.listBuckets()).toContain('vhost')
    const small = randomData(10_000)
    const large = randomData(6 * 1024 * 1024) // multipart: 5 MiB + 1 MiB
    await virtual.putObject('vhost', 'a/small.bin', Readable.from([small]), small.length)
    const etag = await virtual.putObject('vhost', 'large.bin', Readable.from([large]), large.length)
    expect(etag).toMatch(/-2$/)
    expect((await virtual.stat('vhost', 'a/small.bin'))?.size).toBe(small.length)
    const keys: string[] = []
    for await (const o of virtual.listObjects('vhost')) keys.push(o.key)
    expect(keys).toEqual(['a/small.bin', 'large.bin'])
    expect(sha256(await readBytes(virtual, 'vhost', 'large.bin'))).toBe(sha256(large))
    // What the virtual-host client wrote is what a path-style client reads.
    expect(sha256(await readBytes(plain, 'vhost', 'a/small.bin'))).toBe(sha256(small))
    await virtual.removeObject('vhost', 'a/small.bin')
    expect(await plain.stat('vhost', 'a/small.bin')).toBeUndefined()
    await virtual.removeBucket('vhost')
    expect(await plain.bucketExists('vhost')).toBe(false)
    // The bucket travelled in the host name, for FaDO's own requests and minio-js's alike.
    expect(asked).toContain('vhost.localhost')
    expect(new Set(asked)).toEqual(new Set(['localhost', 'vhost.localhost']))
  })
})
