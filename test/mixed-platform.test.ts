/**
 * A mixed platform (issue 13): clusters hpc and cc2 on real MinIO servers, cc1 on a real SeaweedFS
 * server tracked as kind `s3`. The thesis §7.2 scenario runs on it unchanged (helpers/thesis-
 * scenario.ts). Then what "in sync" means across servers: FaDO decides from its record of what it
 * copied, not from ETags — a multipart master object (ETag "…-N") copied to SeaweedFS (a plain
 * MD5 there) is not copied again by the next pass — and replica objects changed, added or deleted
 * behind FaDO's back on SeaweedFS are repaired from the master and counted.
 */
import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SEAWEED_PASSWORD, SEAWEED_USER, type SeaweedServer } from '../platform/seaweed-server.js'
import { POSTGRES } from './helpers/engines.js'
import { startTestControl, type TestControl } from './helpers/control.js'
import { startMinios, startSeaweed, type TestMinio } from './helpers/minio.js'
import {
  listing,
  randomData,
  readBytes,
  s3Of,
  s3OfSeaweed,
  sha256,
  trackBody,
} from './helpers/storage.js'
import { thesisScenario, waitSyncedNamed, type ScenarioEnv } from './helpers/thesis-scenario.js'

let fado: TestControl
let minios: TestMinio[]
let weed: SeaweedServer
let servers: ScenarioEnv['servers']
const storage = {} as ScenarioEnv['storage']

const read = readBytes

beforeAll(async () => {
  ;[fado, minios, weed] = await Promise.all([
    // Objects over 5 MiB are copied as multipart uploads (the default is S3's 5 GiB limit).
    startTestControl(await POSTGRES.target(), { config: { multipartThreshold: 5 * 1024 * 1024 } }),
    startMinios(2),
    startSeaweed(),
  ])
  const [hpc, cc2] = minios as [TestMinio, TestMinio]
  servers = { hpc: s3Of(hpc), cc1: s3OfSeaweed(weed), cc2: s3Of(cc2) }
  for (const [name, zones] of [
    ['hpc', ['germany', 'high-performance']],
    ['cc1', ['germany', 'high-performance']],
    ['cc2', ['germany']],
  ] as const) {
    const cluster = (await fado.api('POST', '/api/clusters', { name, zones })).body.cluster_id
    // Routes list clusters that can run functions: each gets a FaaS deployment (never called).
    await fado.api('POST', '/api/faas-deployments', {
      cluster_id: cluster,
      url: `http://127.0.0.1:${1000 + cluster}/fn-${name}`,
    })
    const body =
      name === 'cc1'
        ? {
            alias: 'seaweed-cc1',
            cluster_id: cluster,
            endpoint: weed.endpoint,
            access_key: SEAWEED_USER,
            secret_key: SEAWEED_PASSWORD,
            kind: 's3',
          }
        : trackBody(name === 'hpc' ? hpc : cc2, `minio-${name}`, cluster)
    const res = await fado.api('POST', '/api/storage-deployments', body)
    if (res.status !== 201) throw new Error(res.text)
    storage[name] = res.body.storage_id
  }
}, 120_000)

afterAll(async () => {
  await fado?.close()
  await Promise.all((minios ?? []).map((m) => m.destroy()))
  await weed?.destroy()
})

thesisScenario('on MinIO + SeaweedFS', () => ({ fado, servers, storage }))

describe('same content, whatever the server', () => {
  const bucket = 'evidence'
  let bucketId: number
  const data = { a: randomData(30_000), b: randomData(70_000), parts: randomData(7 * 1024 * 1024) }
  const pass = async () => {
    fado.running.reconciler.schedule(bucketId)
    await fado.running.reconciler.whenIdle()
  }

  it('a multipart master object is copied once, then judged in sync from FaDO’s record', async () => {
    const made = await fado.api('POST', '/api/buckets', {
      name: bucket,
      storage_id: storage.hpc,
      replica_locations: [storage.cc1, storage.cc2],
    })
    expect(made.status, made.text).toBe(201)
    bucketId = made.body.bucket_id
    const put = (key: string, bytes: Buffer) =>
      servers.hpc.putObject(bucket, key, Readable.from([bytes]), bytes.length)
    await put('a.bin', data.a)
    await put('b.bin', data.b)
    // minio-js uploads a stream of unknown size as multipart: an "md5-N" ETag no copy reproduces.
    await servers.hpc.client.putObject(bucket, 'parts.bin', Readable.from([data.parts]))
    await waitSyncedNamed(fado, bucket, [storage.cc1, storage.cc2])
    await pass()
    const master = (await listing(servers.hpc, bucket)) ?? {}
    expect(master['parts.bin']).toMatch(/-1$/)
    // 7 MiB over the 5 MiB threshold: copied as a multipart upload of 5 + 2 MiB, on both kinds.
    for (const replica of [servers.cc1, servers.cc2]) {
      expect((await listing(replica, bucket))?.['parts.bin']).toMatch(/-2$/)
      expect(sha256(await read(replica, bucket, 'parts.bin'))).toBe(sha256(data.parts))
    }

    const before = { ...fado.running.reconciler.stats }
    await pass()
    await pass()
    expect(fado.running.reconciler.stats.objects_copied).toBe(before.objects_copied)
    const b = (await fado.api('GET', `/api/buckets/${bucketId}`)).body
    for (const r of b.replicas) expect(r).toMatchObject({ status: 'synced', repaired_objects: 0 })
  })

  it('replica objects changed, added or deleted behind FaDO’s back are repaired and counted', async () => {
    const sw = servers.cc1
    const junk = randomData(30_000) // same size as a.bin: only FaDO's record tells them apart
    await sw.putObject(bucket, 'a.bin', Readable.from([junk]), junk.length)
    await sw.putObject(bucket, 'intruder.bin', Readable.from([Buffer.from('x')]), 1)
    await sw.removeObject(bucket, 'b.bin')
    const before = { ...fado.running.reconciler.stats }
    await pass()
    expect(sha256(await read(sw, bucket, 'a.bin'))).toBe(sha256(data.a))
    expect(sha256(await read(sw, bucket, 'b.bin'))).toBe(sha256(data.b))
    expect(Object.keys((await listing(sw, bucket)) ?? {}).sort()).toEqual([
      'a.bin',
      'b.bin',
      'parts.bin',
    ])
    const stats = fado.running.reconciler.stats
    expect(stats.objects_copied - before.objects_copied).toBe(2)
    expect(stats.objects_deleted - before.objects_deleted).toBe(1)
    const replica = (await fado.api('GET', `/api/buckets/${bucketId}`)).body.replicas.find(
      (r: { storage_id: number }) => r.storage_id === storage.cc1,
    )
    expect(replica).toMatchObject({ status: 'synced', repaired_objects: 3 })
    expect(Date.parse(replica.last_repair_at)).toBeGreaterThan(Date.now() - 60_000)
    const metrics = await (await fado.fetch('/metrics')).text()
    expect(metrics).toMatch(
      /fado_replica_repairs_total\{bucket="evidence",storage="seaweed-cc1"\} 3/,
    )
    // Nothing more to do afterwards.
    const after = { ...stats }
    await pass()
    expect(stats.objects_copied).toBe(after.objects_copied)
  })
})
