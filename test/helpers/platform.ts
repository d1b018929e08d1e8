/**
 * A local multi-cluster platform for system tests: per cluster a real MinIO and a function
 * server, all tracked by a real FaDO control (+ edge) on PostgreSQL.
 */
import { startFunctionServer, type RunningFunctionServer } from '../../platform/function-server.js'
import { POSTGRES } from './engines.js'
import { startTestControl, type TestControl } from './control.js'
import { startMinio, type TestMinio } from './minio.js'
import { waitFor } from './ports.js'
import { s3Of, trackBody } from './storage.js'

export interface TestCluster {
  name: string
  cluster_id: number
  storage_id: number
  faas_id: number
  minio: TestMinio
  fn: RunningFunctionServer
}

export interface TestPlatform {
  fado: TestControl
  clusters: Record<string, TestCluster>
  edgeUrl: string
  close(): Promise<void>
}

export async function startPlatform(
  specs: { name: string; zones?: string[]; prefix?: string; functions?: Record<string, string> }[],
  options: Parameters<typeof startTestControl>[1] = {},
): Promise<TestPlatform> {
  const fado = await startTestControl(await POSTGRES.target(), options)
  // Plain MinIO servers: tracking them gives each FaDO's webhook target (changes/webhook-target.ts).
  const minios = await Promise.all(specs.map(() => startMinio()))
  const clusters: Record<string, TestCluster> = {}
  for (const [i, spec] of specs.entries()) {
    const minio = minios[i] as TestMinio
    const cluster = (
      await fado.api('POST', '/api/clusters', { name: spec.name, zones: spec.zones ?? [] })
    ).body
    const storage = await fado.api(
      'POST',
      '/api/storage-deployments',
      trackBody(minio, `minio-${spec.name}`, cluster.cluster_id),
    )
    if (storage.status !== 201) throw new Error(storage.text)
    const fn = await startFunctionServer({
      cluster: spec.name,
      storage: s3Of(minio),
      ...(spec.prefix ? { prefix: spec.prefix } : {}),
      ...(spec.functions ? { functions: spec.functions } : {}),
    })
    const faas = (
      await fado.api('POST', '/api/faas-deployments', {
        cluster_id: cluster.cluster_id,
        url: fn.url,
      })
    ).body
    clusters[spec.name] = {
      name: spec.name,
      cluster_id: cluster.cluster_id,
      storage_id: storage.body.storage_id,
      faas_id: faas.faas_id,
      minio,
      fn,
    }
  }
  return {
    fado,
    clusters,
    edgeUrl: fado.running.edgeUrl ?? '',
    async close() {
      await fado.close()
      await Promise.all(Object.values(clusters).map((c) => c.fn.close()))
      await Promise.all(minios.map((m) => m.destroy()))
    },
  }
}

/** Waits until the bucket's replicas are exactly `storageIds`, all synced. */
export async function waitSynced(
  fado: TestControl,
  bucketId: number,
  storageIds: number[],
): Promise<void> {
  await waitFor(`bucket ${bucketId} synced on ${storageIds.join(',')}`, async () => {
    const b = (await fado.api('GET', `/api/buckets/${bucketId}`)).body
    const ids = b.replicas.map((r: { storage_id: number }) => r.storage_id).sort()
    return (
      JSON.stringify(ids) === JSON.stringify([...storageIds].sort()) &&
      b.replicas.every((r: { status: string }) => r.status === 'synced')
    )
  })
}
