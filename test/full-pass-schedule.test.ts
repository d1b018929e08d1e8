/**
 * Full passes only as often as they are worth (issue 23): each replica shows when a full pass
 * last verified it, how long that took and how many objects it compared (API, /metrics), and
 * passes over a bucket are spaced by --full-pass-interval or ten times their own duration,
 * whichever is longer — never overlapping. Real MinIO servers, control in-process.
 */
import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createToken, startTestControl, type TestControl } from './helpers/control.js'
import { startMinios, type TestMinio } from './helpers/minio.js'
import { waitFor } from './helpers/ports.js'
import { s3Of, trackBody } from './helpers/storage.js'

const INTERVAL = 300
const OBJECTS = 40
let minios: TestMinio[]
let fado: TestControl
let bucketId: number
let replicaStorage: number

interface Replica {
  storage_id: number
  last_full_pass_at: string | null
  last_full_pass_ms: number | null
  last_full_pass_objects: number | null
}
const replica = async (): Promise<Replica> =>
  ((await fado.api('GET', `/api/buckets/${bucketId}`)).body.replicas as Replica[]).find(
    (r) => r.storage_id === replicaStorage,
  )!

beforeAll(async () => {
  minios = await startMinios(2)
  // Objects already on the master before FaDO tracks it: imported, then replicated.
  await s3Of(minios[0]!).makeBucket('verified')
  for (let i = 0; i < OBJECTS; i++) {
    const body = Buffer.from(`object ${i}`)
    await s3Of(minios[0]!).putObject('verified', `k/${i}`, Readable.from([body]), body.length)
  }
  fado = await startTestControl(
    { kind: 'pglite-memory' },
    { config: { fullPassInterval: INTERVAL } },
  )
  const cluster = (await fado.api('POST', '/api/clusters', { name: 'site' })).body.cluster_id
  const ids: number[] = []
  for (const [i, m] of minios.entries()) {
    // No webhook set up: its MinIO restart would make FaDO pass over everything again meanwhile.
    const res = await fado.api('POST', '/api/storage-deployments', {
      ...trackBody(m, `m${i}`, cluster),
      configure_webhook: false,
    })
    expect(res.status, res.text).toBe(201)
    ids.push(res.body.storage_id)
  }
  replicaStorage = ids[1]!
  const buckets = (await fado.api('GET', '/api/buckets')).body as {
    bucket_id: number
    name: string
  }[]
  bucketId = buckets.find((b) => b.name === 'verified')!.bucket_id
  const set = await fado.api('PUT', `/api/buckets/${bucketId}`, {
    replica_locations: [replicaStorage],
  })
  expect(set.status, set.text).toBe(200)
}, 120_000)

afterAll(async () => {
  await fado?.close()
  await Promise.all((minios ?? []).map((m) => m.destroy()))
})

describe('full passes', () => {
  it('each replica shows when it was last verified, how long that took, and what it compared', async () => {
    await waitFor(
      'a full pass to verify the replica',
      async () => (await replica()).last_full_pass_at !== null,
    )
    const r = await replica()
    expect(r.last_full_pass_objects).toBe(OBJECTS)
    expect(r.last_full_pass_ms).toBeGreaterThanOrEqual(0)
    expect(Date.parse(r.last_full_pass_at!)).toBeLessThanOrEqual(Date.now())

    const token = await createToken(fado, 'metrics')
    const text = await (
      await fetch(`${fado.running.apiUrl}/metrics`, {
        headers: { authorization: `Bearer ${token}` },
      })
    ).text()
    expect(text).toMatch(
      new RegExp(`fado_full_pass_objects\\{bucket="verified",storage="m1"\\} ${OBJECTS}\\n`),
    )
    expect(text).toMatch(/fado_full_pass_duration_seconds\{bucket="verified",storage="m1"\} \d/)
    expect(text).toMatch(/fado_full_pass_age_seconds\{bucket="verified",storage="m1"\} \d/)
  })

  it('are spaced by the interval or ten times their own duration, whichever is longer', async () => {
    const seen: { at: number; ms: number }[] = []
    const until = Date.now() + 8_000
    while (Date.now() < until) {
      const r = await replica()
      const at = Date.parse(r.last_full_pass_at!)
      if (seen.at(-1)?.at !== at) seen.push({ at, ms: r.last_full_pass_ms! })
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    // Several passes happened (the interval is short), each after the rule allowed it. Times are
    // what the database recorded when each replica's pass ended; the pass's own duration counts
    // from the bucket's pass start, so the gap between two ends is at least the wait before the
    // second pass started. 50 ms of slack for the scheduler's tick and clock rounding.
    expect(seen.length).toBeGreaterThanOrEqual(3)
    for (let i = 1; i < seen.length; i++) {
      const prev = seen[i - 1]!
      const gap = seen[i]!.at - prev.at
      expect(gap, JSON.stringify(seen)).toBeGreaterThanOrEqual(
        Math.max(INTERVAL, 10 * prev.ms) - 50,
      )
    }
  }, 30_000)
})
