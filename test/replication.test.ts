/**
 * Thesis §7.2 as a system test, on three real MinIO servers in clusters hpc / cc1 / cc2:
 * replicas follow the bucket's zones and target count, new objects reach every replica, and
 * routes list only clusters holding a synced copy. Assertions read the MinIO servers directly.
 * Then: incremental sync moves only what changed, and a MinIO outage mid-replication converges.
 * Full passes list in the listing worker here (listing-worker.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { POSTGRES } from './helpers/engines.js'
import { startTestControl, webhookTo, type TestControl } from './helpers/control.js'
import { startMinios, type TestMinio } from './helpers/minio.js'
import { waitFor } from './helpers/ports.js'
import { listing, putBytes, randomData, s3Of, trackBody } from './helpers/storage.js'
import {
  bucketNamed,
  routeClusters,
  thesisScenario,
  waitSyncedNamed,
  type ScenarioEnv,
} from './helpers/thesis-scenario.js'
import { BATCH_LIMITS } from '../control/replication/batch.js'

let fado: TestControl
let minios: TestMinio[]
let hpc: TestMinio, cc1: TestMinio, cc2: TestMinio
const storage: Record<string, number> = {}

beforeAll(async () => {
  // Every full pass here lists in a worker thread, as a large bucket's does (the other tests'
  // small buckets list in control's own thread).
  fado = await startTestControl(await POSTGRES.target(), {
    reconciler: { copyConcurrency: 2, listingWorkerFrom: 0 },
  })
  // Each MinIO pushes its events with a token that may only deliver notifications.
  minios = await startMinios(
    3,
    await Promise.all(['hpc', 'cc1', 'cc2'].map((n) => webhookTo(fado, `minio-${n}`))),
  )
  ;[hpc, cc1, cc2] = minios as [TestMinio, TestMinio, TestMinio]
  // Step 1 of §7.2: every cluster in germany; hpc and cc1 also in high-performance.
  const clusters: [string, string[], TestMinio][] = [
    ['hpc', ['germany', 'high-performance'], hpc],
    ['cc1', ['germany', 'high-performance'], cc1],
    ['cc2', ['germany'], cc2],
  ]
  for (const [name, zones, minio] of clusters) {
    const cluster = (await fado.api('POST', '/api/clusters', { name, zones })).body
    await fado.api('POST', '/api/faas-deployments', {
      cluster_id: cluster.cluster_id,
      url: `http://127.0.0.1:${1000 + cluster.cluster_id}/fn-${name}`,
    })
    const res = await fado.api(
      'POST',
      '/api/storage-deployments',
      trackBody(minio, `minio-${name}`, cluster.cluster_id),
    )
    expect(res.status, res.text).toBe(201)
    storage[name] = res.body.storage_id
  }
})

afterAll(async () => {
  await fado?.close()
  await Promise.all((minios ?? []).map((m) => m.destroy()))
})

const waitSynced = (name: string, storageIds: number[]) => waitSyncedNamed(fado, name, storageIds)

// Thesis §7.2 on three MinIO servers (test/mixed-platform.test.ts runs it on MinIO + SeaweedFS).
thesisScenario('on MinIO', () => ({
  fado,
  servers: { hpc: s3Of(hpc), cc1: s3Of(cc1), cc2: s3Of(cc2) },
  storage: storage as ScenarioEnv['storage'],
}))

describe('sync behaviour', () => {
  it('an incremental sync moves only the changed object', async () => {
    const res = await fado.api('POST', '/api/buckets', {
      name: 'incremental',
      storage_id: storage.hpc,
      replica_locations: [storage.cc1],
    })
    for (let i = 0; i < 10; i++)
      await putBytes(hpc, 'incremental', `part-${i}`, randomData(256 * 1024))
    await waitSynced('incremental', [storage.cc1!])
    await waitFor(
      'all ten on the replica',
      async () => Object.keys((await listing(cc1, 'incremental')) ?? {}).length === 10,
    )
    await fado.running.reconciler.whenIdle()

    const stats = fado.running.reconciler.stats
    const before = { ...stats }
    const changed = await putBytes(hpc, 'incremental', 'part-3', randomData(256 * 1024))
    await waitFor(
      'the change on the replica',
      async () => (await listing(cc1, 'incremental'))?.['part-3'] === changed,
    )
    await fado.running.reconciler.whenIdle()
    // And a full pass afterwards finds nothing to do.
    fado.running.reconciler.schedule(res.body.bucket_id)
    await fado.running.reconciler.whenIdle()
    expect(stats.objects_copied - before.objects_copied).toBe(1)
    expect(stats.bytes_copied - before.bytes_copied).toBe(256 * 1024)
    expect(await listing(cc1, 'incremental')).toEqual(await listing(hpc, 'incremental'))
  })

  it('a replica MinIO stopped mid-replication: error shown, then convergence after restart, etags equal', async () => {
    const res = await fado.api('POST', '/api/buckets', { name: 'outage', storage_id: storage.hpc })
    // Each too large for a batch (copied one by one, a few at a time), and 120 MB in all: the
    // copy lasts long enough for there to be a "mid" to stop the replica in.
    for (let i = 0; i < 30; i++)
      await putBytes(
        hpc,
        'outage',
        `obj-${String(i).padStart(2, '0')}`,
        randomData(4 * BATCH_LIMITS.objectBytes),
      )
    await fado.running.reconciler.whenIdle()
    await fado.api('PUT', `/api/buckets/${res.body.bucket_id}`, {
      replica_locations: [storage.cc2],
    })
    // Let the copy start, then take the replica's server away.
    await waitFor(
      'the copy to start',
      async () => Object.keys((await listing(cc2, 'outage')) ?? {}).length > 0,
      10_000,
    )
    await cc2.stop()
    await waitFor(
      'the replica to show an error',
      async () => {
        const r = (await bucketNamed(fado, 'outage')).replicas[0]
        return r?.status === 'error' && typeof r.error === 'string' && r.error.length > 0
      },
      15_000,
    )
    expect(await routeClusters(fado, 'outage')).toEqual(['hpc']) // never routed to a half copy
    await cc2.start()
    await waitSynced('outage', [storage.cc2!])
    const master = await listing(hpc, 'outage')
    expect(Object.keys(master ?? {})).toHaveLength(30)
    expect(await listing(cc2, 'outage')).toEqual(master)
  })

  it('the master MinIO stopped: replicas show the error, and all converges after restart', async () => {
    const res = await fado.api('POST', '/api/buckets', {
      name: 'master-outage',
      storage_id: storage.cc1,
      replica_locations: [storage.hpc],
    })
    await waitSynced('master-outage', [storage.hpc!])
    await cc1.stop()
    fado.running.reconciler.schedule(res.body.bucket_id)
    await waitFor(
      'the replica to report the master down',
      async () => (await bucketNamed(fado, 'master-outage')).replicas[0]?.status === 'error',
      15_000,
    )
    expect((await bucketNamed(fado, 'master-outage')).replicas[0].error).toMatch(
      /master unavailable/,
    )
    await cc1.start()
    const etag = await putBytes(
      cc1,
      'master-outage',
      'after.txt',
      Buffer.from('written after the restart'),
    )
    await waitSynced('master-outage', [storage.hpc!])
    await waitFor(
      'the new object on the replica',
      async () => (await listing(hpc, 'master-outage'))?.['after.txt'] === etag,
    )
  })
})
