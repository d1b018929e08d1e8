/**
 * Cost that follows what changed (issue 23): a change to where replicas may go — a deployment
 * tracked, a cluster's zones — makes a full pass only over the buckets whose replica plan it
 * changes. Before, every bucket was passed again (each object of each bucket listed and compared
 * on master and replicas), which for a million-object bucket keeps two cores busy for most of a
 * minute. Real MinIO servers, control in-process, full passes otherwise an hour apart.
 */
import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestControl, type TestControl } from './helpers/control.js'
import { startMinios, type TestMinio } from './helpers/minio.js'
import { waitFor } from './helpers/ports.js'
import { readBytes, s3Of, trackBody } from './helpers/storage.js'

let minios: TestMinio[]
let fado: TestControl
const storageIds: number[] = []
let euCluster: number
let usCluster: number
const bucketIds: Record<string, number> = {}

interface Replica {
  storage_id: number
  status: string
  last_full_pass_at: string | null
}
const replicas = async (name: string): Promise<Replica[]> =>
  (await fado.api('GET', `/api/buckets/${bucketIds[name]}`)).body.replicas as Replica[]
/** When each bucket's replicas were last verified by a full pass. */
const lastPasses = async () =>
  Object.fromEntries(
    await Promise.all(
      Object.keys(bucketIds).map(async (name) => [
        name,
        (await replicas(name)).map((r) => r.last_full_pass_at),
      ]),
    ),
  ) as Record<string, (string | null)[]>
async function track(i: number, cluster: number) {
  const res = await fado.api('POST', '/api/storage-deployments', {
    ...trackBody(minios[i]!, `m${i}`, cluster),
    configure_webhook: false,
  })
  expect(res.status, res.text).toBe(201)
  storageIds[i] = res.body.storage_id as number
}

async function createBucket(name: string, body: Record<string, unknown>) {
  const res = await fado.api('POST', '/api/buckets', { name, storage_id: storageIds[0], ...body })
  expect(res.status, res.text).toBe(201)
  bucketIds[name] = res.body.bucket_id as number
  const data = Buffer.from(`the object of ${name}`)
  await s3Of(minios[0]!).putObject(name, 'k', Readable.from([data]), data.length)
}

const allSynced = async (name: string, count: number) => {
  const r = await replicas(name)
  return r.length === count && r.every((x) => x.status === 'synced' && x.last_full_pass_at !== null)
}

beforeAll(async () => {
  minios = await startMinios(3)
  fado = await startTestControl(
    { kind: 'pglite-memory' },
    { config: { fullPassInterval: 3_600_000 } },
  )
  euCluster = (await fado.api('POST', '/api/clusters', { name: 'eu-site', zones: ['eu'] })).body
    .cluster_id
  usCluster = (await fado.api('POST', '/api/clusters', { name: 'us-site', zones: ['us'] })).body
    .cluster_id
  await track(0, euCluster)
  await track(1, euCluster)
  // Two buckets on m0: one with a replica named by hand, one that may only go to zone 'us',
  // where nothing is tracked yet.
  await createBucket('pinned', { replica_locations: [storageIds[1]] })
  await createBucket('to-us', { zones: ['us'], target_replica_count: 1 })
  await waitFor('the pinned bucket’s replica to be verified', () => allSynced('pinned', 1), 30_000)
}, 120_000)

afterAll(async () => {
  await fado?.close()
  await Promise.all((minios ?? []).map((m) => m.destroy()))
})

describe('a change to where replicas may go', () => {
  it('tracking a deployment passes over the bucket it gives a replica to, and no other', async () => {
    const before = await lastPasses()
    expect(before['to-us']).toEqual([]) // no deployment in its zone yet
    await track(2, usCluster)
    await waitFor('the us bucket’s new replica to be synced', () => allSynced('to-us', 1), 30_000)
    expect((await replicas('to-us'))[0]!.storage_id).toBe(storageIds[2])
    expect((await readBytes(minios[2]!, 'to-us', 'k')).toString()).toBe('the object of to-us')
    // The pinned bucket's plan did not change: its replica was not passed over again.
    await new Promise((r) => setTimeout(r, 1_500))
    expect((await lastPasses())['pinned']).toEqual(before['pinned'])
  }, 60_000)

  it('changing a cluster’s zones passes over no bucket whose plan stays, and over one it changes', async () => {
    const before = await lastPasses()
    // A zone added to the eu cluster: no bucket's plan changes (to-us keeps its us replica).
    const res = await fado.api('PUT', `/api/clusters/${euCluster}`, { zones: ['eu', 'asia'] })
    expect(res.status, res.text).toBe(200)
    await new Promise((r) => setTimeout(r, 1_500))
    expect(await lastPasses()).toEqual(before)
    // The us cluster leaves zone us: to-us may go nowhere now, and its replica is removed.
    const moved = await fado.api('PUT', `/api/clusters/${usCluster}`, { zones: ['ap'] })
    expect(moved.status, moved.text).toBe(200)
    await waitFor(
      'the us bucket’s replica to be removed',
      async () => (await replicas('to-us')).length === 0,
    )
    expect((await lastPasses())['pinned']).toEqual(before['pinned'])
  }, 60_000)

  it('“Check now” still passes over a bucket whatever its plan', async () => {
    const before = (await lastPasses())['pinned']![0]
    const res = await fado.api('POST', `/api/buckets/${bucketIds['pinned']}/sync`)
    expect(res.status).toBe(202)
    await waitFor(
      'a pass over the pinned bucket',
      async () => (await replicas('pinned'))[0]!.last_full_pass_at !== before,
    )
  }, 30_000)
})
