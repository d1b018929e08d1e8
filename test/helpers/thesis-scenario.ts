/**
 * The thesis §7.2 replication scenario as a reusable suite: three storage servers in clusters hpc
 * (zones germany + high-performance), cc1 (germany + high-performance) and cc2 (germany), the
 * bucket's master on hpc. Replicas follow zones and target count, a manual location overrides
 * both, new objects reach every replica, routes list only clusters with a synced copy, and a
 * deleted bucket leaves every server. Every assertion reads the storage servers themselves, so the
 * same steps run on all-MinIO and on mixed MinIO + SeaweedFS platforms.
 */
import { describe, expect, it } from 'vitest'
import type { S3Storage } from '../../control/storage/s3.js'
import type { TestControl } from './control.js'
import { waitFor } from './ports.js'
import { listing, randomData } from './storage.js'
import { Readable } from 'node:stream'

export interface ScenarioEnv {
  fado: TestControl
  servers: { hpc: S3Storage; cc1: S3Storage; cc2: S3Storage }
  storage: { hpc: number; cc1: number; cc2: number }
}

export const bucketNamed = async (fado: TestControl, name: string) =>
  (await fado.api('GET', '/api/buckets')).body.find((b: { name: string }) => b.name === name)

/** Waits until the bucket's replicas are exactly `storageIds`, all synced. */
export async function waitSyncedNamed(fado: TestControl, name: string, storageIds: number[]) {
  let last: unknown
  await waitFor(
    `${name} synced on ${storageIds.join(',')}`,
    async () => {
      const b = await bucketNamed(fado, name)
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

export const routeClusters = async (fado: TestControl, bucket: string): Promise<string[]> => {
  const route = (await fado.api('GET', '/api/load-balancer')).body.routes[bucket]
  return (route?.upstreams ?? []).map((u: { cluster: string }) => u.cluster).sort()
}

export function thesisScenario(title: string, env: () => ScenarioEnv): void {
  describe(`thesis §7.2: replication policy ${title}`, () => {
    const name = 'rep-policy-demo'
    let bucketId: number
    let image: string
    const all = () => Object.values(env().servers)
    const waitSynced = (ids: number[]) => waitSyncedNamed(env().fado, name, ids)
    const routes = () => routeClusters(env().fado, name)

    it('step 2: zone germany, target 0 — the bucket exists only on its master', async () => {
      const { fado, servers, storage } = env()
      const res = await fado.api('POST', '/api/buckets', {
        name,
        storage_id: storage.hpc,
        zones: ['germany'],
        target_replica_count: 0,
      })
      expect(res.status, res.text).toBe(201)
      bucketId = res.body.bucket_id
      const form = new FormData()
      form.set('bucket', name)
      form.set(
        'file',
        new Blob([new Uint8Array(randomData(200_000))], { type: 'image/png' }),
        'image.png',
      )
      expect((await fado.fetch('/api/objects', { method: 'POST', body: form })).status).toBe(201)
      image = (await listing(servers.hpc, name))?.['image.png'] ?? ''
      expect(image).toMatch(/^[0-9a-f]{32}$/)
      await fado.running.reconciler.whenIdle()
      expect(await listing(servers.cc1, name)).toBeUndefined()
      expect(await listing(servers.cc2, name)).toBeUndefined()
      expect((await bucketNamed(fado, name)).replicas).toEqual([])
      expect(await routes()).toEqual(['hpc'])
    })

    it('step 3: target 2 — the bucket is on all three servers with identical objects', async () => {
      const { fado, storage } = env()
      const res = await fado.api('PUT', `/api/buckets/${bucketId}`, { target_replica_count: 2 })
      expect(res.status).toBe(200)
      await waitSynced([storage.cc1, storage.cc2])
      for (const server of all())
        expect(await listing(server, name)).toEqual({ 'image.png': image })
      await waitFor('routes to list all three clusters', async () => (await routes()).length === 3)
      expect(await routes()).toEqual(['cc1', 'cc2', 'hpc'])
    })

    it('step 4: a second image written on the master appears on every replica', async () => {
      const { servers } = env()
      const data = randomData(150_000)
      const etag = await servers.hpc.putObject(
        name,
        'image-2.png',
        Readable.from([data]),
        data.length,
      )
      await waitFor(
        'image-2.png on cc1 and cc2',
        async () =>
          (await listing(servers.cc1, name))?.['image-2.png'] === etag &&
          (await listing(servers.cc2, name))?.['image-2.png'] === etag,
      )
      for (const server of all())
        expect(await listing(server, name)).toEqual({ 'image.png': image, 'image-2.png': etag })
    })

    it('step 5: zones high-performance only — the replica leaves cc2', async () => {
      const { fado, servers, storage } = env()
      await fado.api('PUT', `/api/buckets/${bucketId}`, { zones: ['high-performance'] })
      await waitSynced([storage.cc1])
      expect(await listing(servers.cc2, name)).toBeUndefined()
      expect(Object.keys((await listing(servers.cc1, name)) ?? {}).sort()).toEqual([
        'image-2.png',
        'image.png',
      ])
      await waitFor('routes to drop cc2', async () => (await routes()).join() === 'cc1,hpc')
    })

    it('a manual replica location overrides zones and target, and null gives control back', async () => {
      const { fado, servers, storage } = env()
      await fado.api('PUT', `/api/buckets/${bucketId}`, { replica_locations: [storage.cc2] })
      await waitSynced([storage.cc2])
      expect(await listing(servers.cc1, name)).toBeUndefined()
      expect(Object.keys((await listing(servers.cc2, name)) ?? {})).toHaveLength(2)
      await fado.api('PUT', `/api/buckets/${bucketId}`, { replica_locations: null })
      await waitSynced([storage.cc1])
    })

    it('deleting the bucket removes it from every server and from the routes', async () => {
      const { fado } = env()
      const res = await fado.api('DELETE', `/api/buckets/${bucketId}`)
      expect(res.status, res.text).toBe(204)
      for (const server of all()) expect(await listing(server, name)).toBeUndefined()
      await waitFor('the route to go', async () => (await routes()).length === 0)
    })
  })
}
