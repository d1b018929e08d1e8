/**
 * A separate `fado edge` (the real CLI process, edge-scope token) reports what it served to
 * control, so the admin page's traffic charts cover every edge, not only standalone's own: the
 * invocations sent through it appear in control's /api/traffic per bucket and per cluster.
 */
import os from 'node:os'
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createToken } from './helpers/control.js'
import { startFado, type RunningFado } from './helpers/fado-process.js'
import { freePort, waitFor } from './helpers/ports.js'
import { startPlatform, waitSynced, type TestPlatform } from './helpers/platform.js'
import { putBytes } from './helpers/storage.js'

let p: TestPlatform
let edge: RunningFado
let edgeUrl: string

beforeAll(async () => {
  p = await startPlatform([{ name: 'hpc' }])
  const hpc = p.clusters.hpc!
  const res = await p.fado.api('POST', '/api/buckets', {
    name: 'photos',
    storage_id: hpc.storage_id,
  })
  await putBytes(hpc.minio, 'photos', 'a.bin', Buffer.from('x'))
  await waitSynced(p.fado, res.body.bucket_id, [])
  const port = await freePort()
  edgeUrl = `http://127.0.0.1:${port}`
  edge = startFado(
    [
      'edge',
      '--edge-port',
      String(port),
      '--control-url',
      p.fado.running.apiUrl,
      '--data-dir',
      fs.mkdtempSync(path.join(os.tmpdir(), 'fado-edge-report-')),
      '--workers',
      '2',
    ],
    { env: { FADO_CONTROL_TOKEN: await createToken(p.fado, 'edge') } },
  )
  await edge.waitForOutput(/invocations/)
  await waitFor('the edge routes photos', async () => {
    const r = await fetch(`${edgeUrl}/function/nodeinfo`, {
      headers: { 'X-FaDO-Bucket': 'photos' },
    })
    await r.arrayBuffer()
    return r.status === 200
  })
}, 120_000)

afterAll(async () => {
  await edge?.stop()
  await p?.close()
})

const total = async (of: 'buckets' | 'clusters', name: string) => {
  const view = (await p.fado.api('GET', '/api/traffic')).body
  return ((view?.[of]?.[name]?.invocations as number[] | undefined) ?? []).reduce(
    (a, b) => a + b,
    0,
  )
}

describe('a separate fado edge', () => {
  it('reports every invocation it served to control (per bucket and cluster), with latency', async () => {
    // Everything the in-process edge served is counted too: only what goes through `fado edge` here.
    await waitFor(
      'earlier figures to arrive',
      async () => (await total('buckets', 'photos')) > 0,
      15_000,
    )
    await new Promise((r) => setTimeout(r, 6_000)) // one full report interval: nothing in flight
    const before = await total('buckets', 'photos')
    const N = 40
    for (let i = 0; i < N; i++) {
      const r = await fetch(`${edgeUrl}/function/nodeinfo`, {
        headers: { 'X-FaDO-Bucket': 'photos' },
      })
      expect(r.status).toBe(200)
      await r.arrayBuffer()
    }
    await waitFor(
      'control to count them',
      async () => (await total('buckets', 'photos')) === before + N,
      20_000,
    )
    expect(await total('clusters', 'hpc')).toBeGreaterThanOrEqual(before + N)
    const view = (await p.fado.api('GET', '/api/traffic')).body
    expect(view.buckets.photos.p99_ms.some((v: number | null) => v !== null && v > 0)).toBe(true)
    // Not a figure more: after another report interval the count stays.
    await new Promise((r) => setTimeout(r, 6_000))
    expect(await total('buckets', 'photos')).toBe(before + N)
  })
})
