/**
 * Thesis §7.2 as a system test, on three real MinIO servers in clusters hpc / cc1 / cc2:
 * replicas follow the bucket's zones and target count, new objects reach every replica, and
 * routes list only clusters holding a synced copy. Assertions read the MinIO servers directly.
 * Then: incremental sync moves only what changed, and a MinIO outage mid-replication converges.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { POSTGRES } from './helpers/engines.js'
import { startTestControl, webhookTo, type TestControl } from './helpers/control.js'
import { startMinios, type TestMinio } from './helpers/minio.js'
import { waitFor } from './helpers/ports.js'
import { listing, putBytes, randomData, trackBody } from './helpers/storage.js'
import { BATCH_LIMITS } from '../control/replication/sync-bucket.js'

let fado: TestControl
let minios: TestMinio[]
let hpc: TestMinio, cc1: TestMinio, cc2: TestMinio
const storage: Record<string, number> = {}

beforeAll(async () => {
  fado = await startTestControl(await POSTGRES.target(), { reconciler: { copyConcurrency: 2 } })
  // Each MinIO pushes its events with a token that may only deliver notifications.
  minios = await startMinios(3, await webhookTo(fado))
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

const bucketNamed = async (name: string) =>
  (await fado.api('GET', '/api/buckets')).body.find((b: { name: string }) => b.name === name)

async function waitSynced(name: string, storageIds: number[]) {
  let last: unknown
  await waitFor(
    `${name} synced on ${storageIds.join(',')}`,
    async () => {
      const b = await bucketNamed(name)
      last = b?.replicas
      const ids = b.replicas.map((r: { storage_id: number }) => r.storage_id).sort()
      return (
        JSON.stringify(ids) === JSON.stringify([...storageIds].sort()) &&
        b.replicas.every((r: { status: string }) => r.status === 'synced')
      )
    },
    30_000,
  ).catch((err: Error) => {
    throw new Error(`${err.message}; replicas: ${JSON.stringify(last)}`)
  })
}

const routeClusters = async (bucket: string): Promise<string[]> => {
  const route = (await fado.api('GET', '/api/load-balancer')).body.routes[bucket]
  return route.upstreams.map((u: { cluster: string }) => u.cluster).sort()
}

describe('thesis §7.2: replication policy', () => {
  let bucketId: number
  let image: string

  it('step 2: zone germany, target 0 — the bucket exists only on its master', async () => {
    const res = await fado.api('POST', '/api/buckets', {
      name: 'rep-policy-demo',
      storage_id: storage.hpc,
      zones: ['germany'],
      target_replica_count: 0,
    })
    expect(res.status, res.text).toBe(201)
    bucketId = res.body.bucket_id
    const form = new FormData()
    form.set('bucket', 'rep-policy-demo')
    form.set(
      'file',
      new Blob([new Uint8Array(randomData(200_000))], { type: 'image/png' }),
      'image.png',
    )
    expect((await fado.fetch('/api/objects', { method: 'POST', body: form })).status).toBe(201)
    image = (await listing(hpc, 'rep-policy-demo'))?.['image.png'] ?? ''
    expect(image).toMatch(/^[0-9a-f]{32}$/)
    await fado.running.reconciler.whenIdle()
    expect(await listing(cc1, 'rep-policy-demo')).toBeUndefined()
    expect(await listing(cc2, 'rep-policy-demo')).toBeUndefined()
    expect((await bucketNamed('rep-policy-demo')).replicas).toEqual([])
    expect(await routeClusters('rep-policy-demo')).toEqual(['hpc'])
  })

  it('step 3: target 2 — the bucket is on all three deployments with identical objects', async () => {
    const res = await fado.api('PUT', `/api/buckets/${bucketId}`, { target_replica_count: 2 })
    expect(res.status).toBe(200)
    await waitSynced('rep-policy-demo', [storage.cc1!, storage.cc2!])
    for (const minio of minios)
      expect(await listing(minio, 'rep-policy-demo')).toEqual({ 'image.png': image })
    await waitFor(
      'routes to list all three clusters',
      async () => (await routeClusters('rep-policy-demo')).length === 3,
    )
    expect(await routeClusters('rep-policy-demo')).toEqual(['cc1', 'cc2', 'hpc'])
  })

  it('step 4: a second image appears on every replica', async () => {
    const etag = await putBytes(hpc, 'rep-policy-demo', 'image-2.png', randomData(150_000))
    await waitFor(
      'image-2.png on cc1 and cc2',
      async () =>
        (await listing(cc1, 'rep-policy-demo'))?.['image-2.png'] === etag &&
        (await listing(cc2, 'rep-policy-demo'))?.['image-2.png'] === etag,
    )
    for (const minio of minios)
      expect(await listing(minio, 'rep-policy-demo')).toEqual({
        'image.png': image,
        'image-2.png': etag,
      })
  })

  it('step 5: zones high-performance only — the replica leaves cc2', async () => {
    await fado.api('PUT', `/api/buckets/${bucketId}`, { zones: ['high-performance'] })
    await waitSynced('rep-policy-demo', [storage.cc1!])
    expect(await listing(cc2, 'rep-policy-demo')).toBeUndefined()
    expect(Object.keys((await listing(cc1, 'rep-policy-demo')) ?? {}).sort()).toEqual([
      'image-2.png',
      'image.png',
    ])
    await waitFor(
      'routes to drop cc2',
      async () => (await routeClusters('rep-policy-demo')).join() === 'cc1,hpc',
    )
  })

  it('a manual replica location overrides zones and target, and null gives control back', async () => {
    await fado.api('PUT', `/api/buckets/${bucketId}`, { replica_locations: [storage.cc2] })
    await waitSynced('rep-policy-demo', [storage.cc2!])
    expect(await listing(cc1, 'rep-policy-demo')).toBeUndefined()
    expect(Object.keys((await listing(cc2, 'rep-policy-demo')) ?? {})).toHaveLength(2)
    await fado.api('PUT', `/api/buckets/${bucketId}`, { replica_locations: null })
    await waitSynced('rep-policy-demo', [storage.cc1!])
  })
})

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
        const r = (await bucketNamed('outage')).replicas[0]
        return r?.status === 'error' && typeof r.error === 'string' && r.error.length > 0
      },
      15_000,
    )
    expect(await routeClusters('outage')).toEqual(['hpc']) // never routed to a half copy
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
      async () => (await bucketNamed('master-outage')).replicas[0]?.status === 'error',
      15_000,
    )
    expect((await bucketNamed('master-outage')).replicas[0].error).toMatch(/master unavailable/)
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
