/**
 * Change detection out of the box on MinIO (issue 13): MinIO servers started with nothing
 * configured for FaDO (no MINIO_NOTIFY_WEBHOOK_* anywhere) are tracked with admin credentials;
 * FaDO adds its webhook target through MinIO's admin config API (one restart), with a notify token
 * of its own, and subscribes the master. Writes and deletes made directly on the master then reach
 * the replica within 2 s each — measured on the replica server itself.
 */
import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { POSTGRES } from './helpers/engines.js'
import { startTestControl, type TestControl } from './helpers/control.js'
import { startMinios, type TestMinio } from './helpers/minio.js'
import { waitFor } from './helpers/ports.js'
import { s3Of, trackBody } from './helpers/storage.js'
import { serverInfo } from '../control/storage/admin-api.js'

let fado: TestControl
let master: TestMinio, replica: TestMinio, untouched: TestMinio
const ids: Record<string, number> = {}

const tokens = async () =>
  (await fado.api('GET', '/api/tokens')).body as { name: string; last_used_at: string | null }[]

beforeAll(async () => {
  fado = await startTestControl(await POSTGRES.target())
  ;[master, replica, untouched] = (await startMinios(3)) as [TestMinio, TestMinio, TestMinio]
  for (const [name, zones] of [
    ['a', ['germany']],
    ['b', ['germany']],
    ['c', ['france']],
  ] as const) {
    const cluster = await fado.api('POST', '/api/clusters', { name, zones })
    ids[name] = cluster.body.cluster_id
  }
}, 60_000)

afterAll(async () => {
  await fado?.close()
  await Promise.all([master, replica, untouched].map((m) => m?.destroy()))
})

describe('FaDO configures MinIO webhooks itself', () => {
  it('tracking a plain MinIO adds FaDO’s webhook target with a notify token of its own', async () => {
    for (const [alias, minio, cluster] of [
      ['minio-a', master, 'a'],
      ['minio-b', replica, 'b'],
    ] as const) {
      // Nothing about FaDO is configured on the server before.
      expect((await serverInfo(s3Of(minio))).sqsArns).toEqual([])
      const res = await fado.api(
        'POST',
        '/api/storage-deployments',
        trackBody(minio, alias, ids[cluster] as number),
      )
      expect(res.status, res.text).toBe(201)
      expect(res.body.sqs_arn).toBe('arn:minio:sqs::fado:webhook')
      ids[alias] = res.body.storage_id
      expect((await serverInfo(s3Of(minio))).sqsArns).toContain('arn:minio:sqs::fado:webhook')
    }
    const names = (await tokens()).map((t) => t.name)
    expect(names).toEqual(
      expect.arrayContaining([
        `storage-${ids['minio-a']}-webhook`,
        `storage-${ids['minio-b']}-webhook`,
      ]),
    )
    // The secret is never in an answer.
    expect(JSON.stringify(await tokens())).not.toMatch(/fado_notify_/)
  })

  it('configure_webhook: false leaves the server’s configuration alone', async () => {
    const res = await fado.api('POST', '/api/storage-deployments', {
      ...trackBody(untouched, 'minio-c', ids.c as number),
      configure_webhook: false,
    })
    expect(res.status, res.text).toBe(201)
    expect(res.body.sqs_arn).toBe('')
    expect((await serverInfo(s3Of(untouched))).sqsArns).toEqual([])
    expect((await tokens()).map((t) => t.name)).not.toContain(
      `storage-${res.body.storage_id}-webhook`,
    )
    ids['minio-c'] = res.body.storage_id
    const bad = await fado.api('POST', '/api/storage-deployments', {
      ...trackBody(untouched, 'minio-d', ids.c as number),
      configure_webhook: 'yes',
    })
    expect(bad.status).toBe(400)
    expect(bad.body.error.field).toBe('configure_webhook')
  })

  it('writes and deletes made directly on the master reach the replica within 2 s each', async () => {
    const made = await fado.api('POST', '/api/buckets', {
      name: 'direct',
      storage_id: ids['minio-a'],
      zones: ['germany'],
      target_replica_count: 2,
    })
    expect(made.status, made.text).toBe(201)
    await waitFor('replica on minio-b synced', async () => {
      const b = (await fado.api('GET', `/api/buckets/${made.body.bucket_id}`)).body
      return b.replicas.some(
        (r: { storage_id: number; status: string }) =>
          r.storage_id === ids['minio-b'] && r.status === 'synced',
      )
    })
    const src = s3Of(master)
    const dst = s3Of(replica)
    const lags: number[] = []
    const arrive = async (key: string, present: boolean): Promise<number> => {
      const t0 = Date.now()
      for (;;) {
        const found = (await dst.stat('direct', key)) !== undefined
        if (found === present) return Date.now() - t0
        if (Date.now() - t0 > 10_000) return Infinity
        await new Promise((r) => setTimeout(r, 10))
      }
    }
    for (let i = 0; i < 30; i++) {
      const key = `photo-${i}.bin`
      const data = Buffer.alloc(4096, i)
      await src.putObject('direct', key, Readable.from([data]), data.length)
      lags.push(await arrive(key, true))
    }
    for (let i = 0; i < 10; i++) {
      await src.removeObject('direct', `photo-${i}.bin`)
      lags.push(await arrive(`photo-${i}.bin`, false))
    }
    lags.sort((x, y) => x - y)
    console.log(
      `direct master changes on the replica: p50 ${lags[Math.floor(lags.length / 2)]} ms, max ${lags.at(-1)} ms over ${lags.length}`,
    )
    expect(lags.at(-1)).toBeLessThanOrEqual(2_000)
    // Delivered by MinIO's webhook, with FaDO's token for it.
    const used = (await tokens()).find((t) => t.name === `storage-${ids['minio-a']}-webhook`)
    expect(used?.last_used_at).not.toBeNull()
  })

  it('a MinIO tracked without the webhook gets it on request, once', async () => {
    const path = `/api/storage-deployments/${ids['minio-c']}/webhook`
    const res = await fado.api('POST', path)
    expect(res.status, res.text).toBe(200)
    expect(res.body.sqs_arn).toBe('arn:minio:sqs::fado:webhook')
    expect((await serverInfo(s3Of(untouched))).sqsArns).toContain('arn:minio:sqs::fado:webhook')
    expect((await tokens()).map((t) => t.name)).toContain(`storage-${ids['minio-c']}-webhook`)
    const again = await fado.api('POST', path)
    expect(again.status).toBe(200)
    expect(again.body).toEqual(res.body)
    expect((await fado.api('POST', '/api/storage-deployments/999/webhook')).status).toBe(404)
  })

  it('untracking revokes the webhook token', async () => {
    const res = await fado.api('DELETE', `/api/storage-deployments/${ids['minio-b']}`)
    expect(res.status, res.text).toBe(204)
    expect((await tokens()).map((t) => t.name)).not.toContain(`storage-${ids['minio-b']}-webhook`)
  })
})
