/**
 * Faults of FaDO's own processes, with the real `fado` bin on a real PostgreSQL:
 * - control SIGKILLed in the middle of replicating a 200 MB bucket (over a 400 Mbit/s link, so the
 *   copy takes seconds): a restarted control converges and does not copy again what had arrived;
 * - two controls on one database, the one doing the work SIGKILLed: the other takes over;
 * - 50 uploads whose clients hang up mid-body: descriptors and spool disk back to baseline.
 */
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest'
import { startWanRelay, type RunningRelay } from '../platform/wan-relay.js'
import { openDescriptors, sleep } from './helpers/faults.js'
import { startFado, type RunningFado } from './helpers/fado-process.js'
import { startMinios, type TestMinio } from './helpers/minio.js'
import { freePort, waitFor } from './helpers/ports.js'
import { createDatabase } from './helpers/postgres.js'
import { putBytes, randomData, s3Of, trackBody } from './helpers/storage.js'

const TOKEN = 'fault-suite-admin-token-0123'
/** Every control on one database seals storage secrets with the same key. */
const SECRETS_KEY = randomBytes(32).toString('base64')
const RECONCILE_LOCK = 0x46615242
const OBJECTS = 25
const OBJECT_BYTES = 8 * 1024 * 1024 // 25 × 8 MiB = 200 MiB

let minios: TestMinio[]
let relay: RunningRelay
const running: RunningFado[] = []
const dirs: string[] = []

beforeAll(async () => {
  minios = await startMinios(2)
  // The replica is reached over an emulated WAN link, so copying 200 MiB takes ~4 s.
  relay = await startWanRelay({
    rttMs: 1,
    mbit: 400,
    target: { host: '127.0.0.1', port: minios[1]!.port },
  })
  await s3Of(minios[0]!).makeBucket('big')
  for (let i = 0; i < OBJECTS; i++)
    await putBytes(
      minios[0]!,
      'big',
      `chunk-${String(i).padStart(2, '0')}`,
      randomData(OBJECT_BYTES),
    )
}, 180_000)

afterEach(async () => {
  await Promise.all(running.splice(0).map((f) => f.stop('SIGKILL')))
})

afterAll(async () => {
  await relay?.close()
  await Promise.all((minios ?? []).map((m) => m.destroy()))
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true })
})

interface Control {
  fado: RunningFado
  url: string
  api(method: string, p: string, body?: unknown): Promise<{ status: number; body: any }> // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON under test
}

async function startControlProcess(
  database: string,
  command: 'control' | 'standalone' = 'control',
  extra: string[] = [],
): Promise<Control> {
  const apiPort = await freePort()
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fado-fault-control-'))
  dirs.push(dataDir)
  const fado = startFado(
    [
      command,
      '--database',
      database,
      '--api-port',
      String(apiPort),
      '--admin-token',
      TOKEN,
      '--data-dir',
      dataDir,
      '--storage-timeout',
      '3000',
      ...(command === 'standalone' ? ['--edge-port', String(await freePort())] : []),
      ...extra,
    ],
    { env: { FADO_LOG_LEVEL: 'warn', FADO_SECRETS_KEY: SECRETS_KEY } },
  )
  running.push(fado)
  await fado.waitForOutput(new RegExp(`FaDO ${command}`))
  const url = `http://127.0.0.1:${apiPort}`
  return {
    fado,
    url,
    async api(method, p, body) {
      const res = await fetch(`${url}${p}`, {
        method,
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(15_000),
      })
      const text = await res.text()
      return { status: res.status, body: text ? JSON.parse(text) : undefined }
    },
  }
}

/** Cluster + master + replica (through the relay) tracked; the pre-existing bucket imported. */
async function setUp(control: Control): Promise<{ bucketId: number; replicaId: number }> {
  const cluster = (await control.api('POST', '/api/clusters', { name: 'site' })).body.cluster_id
  const master = await control.api(
    'POST',
    '/api/storage-deployments',
    trackBody(minios[0]!, 'master', cluster),
  )
  expect(master.status).toBe(201)
  const replica = await control.api('POST', '/api/storage-deployments', {
    ...trackBody(minios[1]!, 'replica', cluster),
    endpoint: relay.endpoint,
  })
  expect(replica.status).toBe(201)
  const big = (await control.api('GET', '/api/buckets')).body.find(
    (b: { name: string }) => b.name === 'big',
  )
  return { bucketId: big.bucket_id, replicaId: replica.body.storage_id }
}

/** key → { etag, last modified (ms) } on the replica MinIO. */
async function replicaObjects(): Promise<Map<string, { etag: string; at: number }>> {
  const out = new Map<string, { etag: string; at: number }>()
  const s3 = s3Of(minios[1]!)
  if (!(await s3.bucketExists('big'))) return out
  for await (const o of s3.listObjects('big'))
    out.set(o.key, { etag: o.etag, at: o.last_modified.getTime() })
  return out
}

async function masterEtags(): Promise<Map<string, string>> {
  const out = new Map<string, string>()
  for await (const o of s3Of(minios[0]!).listObjects('big')) out.set(o.key, o.etag)
  return out
}

async function clearReplica(): Promise<void> {
  await s3Of(minios[1]!).removeBucket('big')
}

const synced = async (control: Control, bucketId: number) => {
  const b = (await control.api('GET', `/api/buckets/${bucketId}`)).body
  return b?.replicas?.length === 1 && b.replicas[0].status === 'synced'
}

describe('control SIGKILLed mid-reconcile of a 200 MiB bucket', () => {
  it('a restarted control converges, and copies only what had not arrived', async () => {
    await clearReplica()
    const database = await createDatabase(inject('pgUrl'))
    const first = await startControlProcess(database)
    const { bucketId, replicaId } = await setUp(first)
    await first.api('PUT', `/api/buckets/${bucketId}`, { replica_locations: [replicaId] })
    await waitFor(
      'part of the bucket to reach the replica',
      async () => (await replicaObjects()).size >= 3,
      30_000,
    )
    await first.fado.stop('SIGKILL')
    const before = await replicaObjects()
    expect(before.size).toBeGreaterThanOrEqual(3)
    expect(before.size).toBeLessThan(OBJECTS) // really killed mid-way

    const second = await startControlProcess(database)
    await waitFor(
      'the restarted control to finish the replica',
      () => synced(second, bucketId),
      45_000,
    )
    const after = await replicaObjects()
    const master = await masterEtags()
    expect(after.size).toBe(OBJECTS)
    for (const [key, etag] of master) expect(after.get(key)?.etag).toBe(etag)
    // What had arrived before the kill was not copied again.
    for (const [key, { at }] of before) expect(after.get(key)?.at, key).toBe(at)
  }, 120_000)
})

describe('two controls on one PostgreSQL', () => {
  it('the one reconciling is SIGKILLed: the other takes the bucket over within 10 s and finishes', async () => {
    await clearReplica()
    const database = await createDatabase(inject('pgUrl'))
    const a = await startControlProcess(database)
    const b = await startControlProcess(database)
    const { bucketId, replicaId } = await setUp(a)
    const db = new pg.Client({ connectionString: database })
    await db.connect()
    try {
      /** The pid of the FaDO process holding the reconcile lock of the bucket, if any. */
      const holder = async (): Promise<number | undefined> => {
        const rows = await db.query<{ app: string }>(
          `SELECT a.application_name AS app FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
           WHERE l.locktype = 'advisory' AND l.classid = $1 AND l.objid = $2 AND l.granted`,
          [RECONCILE_LOCK, bucketId],
        )
        const m = /^fado\/(\d+)$/.exec(rows.rows[0]?.app ?? '')
        return m ? Number(m[1]) : undefined
      }
      // The change goes through a; b hears of it by NOTIFY and waits for the lock.
      await a.api('PUT', `/api/buckets/${bucketId}`, { replica_locations: [replicaId] })
      await waitFor(
        'copying to have started',
        async () => (await replicaObjects()).size >= 2,
        30_000,
      )
      const busy = await holder()
      const worker = [a, b].find((c) => c.fado.child.pid === busy)
      const survivor = [a, b].find((c) => c !== worker)
      expect(worker, `lock held by pid ${busy}`).toBeDefined()
      expect((await replicaObjects()).size).toBeLessThan(OBJECTS)

      await worker!.fado.stop('SIGKILL')
      const killedAt = performance.now()
      await waitFor(
        'the other control to take the bucket over',
        async () => {
          return (await holder()) === survivor!.fado.child.pid
        },
        10_000,
      )
      const tookOverMs = performance.now() - killedAt
      expect(tookOverMs).toBeLessThan(10_000)
      await waitFor('the survivor to finish the replica', () => synced(survivor!, bucketId), 45_000)
      const after = await replicaObjects()
      const master = await masterEtags()
      expect(after.size).toBe(OBJECTS)
      for (const [key, etag] of master) expect(after.get(key)?.etag).toBe(etag)
    } finally {
      await db.end()
    }
  }, 120_000)
})

/** Sends a request's head and `bytes` of its body on a raw socket, then hangs up. */
async function abortedUpload(port: number, head: string, bytes: Buffer): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write(head)
      socket.write(bytes, () => {
        setTimeout(() => {
          socket.destroy()
          resolve()
        }, 20)
      })
    })
    socket.on('error', reject)
  })
}

describe('uploads whose clients hang up mid-body', () => {
  it('50 of them: open descriptors and spool disk back to baseline, nothing recorded', async () => {
    const standalone = await startControlProcess('memory', 'standalone')
    const pid = standalone.fado.child.pid as number
    const cluster = (await standalone.api('POST', '/api/clusters', { name: 'site' })).body
      .cluster_id
    const storage = await standalone.api(
      'POST',
      '/api/storage-deployments',
      trackBody(minios[0]!, 'm', cluster),
    )
    const bucket = await standalone.api('POST', '/api/buckets', {
      name: 'aborted',
      storage_id: storage.body.storage_id,
    })
    expect(bucket.status).toBe(201)
    const port = Number(new URL(standalone.url).port)
    const auth = `Authorization: Bearer ${TOKEN}\r\nHost: 127.0.0.1\r\n`
    const boundary = 'fadofaultboundary'
    const chunk = randomData(1024 * 1024)
    const kinds = [
      // multipart form, as the admin page sends it
      () =>
        abortedUpload(
          port,
          `POST /api/objects HTTP/1.1\r\n${auth}Content-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${8 * chunk.length}\r\n\r\n` +
            `--${boundary}\r\nContent-Disposition: form-data; name="bucket"\r\n\r\naborted\r\n` +
            `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="f.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`,
          chunk,
        ),
      // raw PUT of unknown length (spooled)
      () =>
        abortedUpload(
          port,
          `PUT /api/objects?path=aborted/chunked.bin HTTP/1.1\r\n${auth}Transfer-Encoding: chunked\r\n\r\n${chunk.length.toString(16)}\r\n`,
          chunk,
        ),
      // raw PUT with a length (streamed straight to the master)
      () =>
        abortedUpload(
          port,
          `PUT /api/objects?path=aborted/streamed.bin HTTP/1.1\r\n${auth}Content-Length: ${8 * chunk.length}\r\n\r\n`,
          chunk,
        ),
    ]
    // Warm up every path once (pools, lazily opened files), then measure.
    for (const kind of kinds) await kind()
    await sleep(1_000)
    const spool = path.join(dirs.at(-1)!, 'spool')
    const baseline = openDescriptors(pid)
    for (let i = 0; i < 50; i++) await kinds[i % kinds.length]!()
    // Closing and unlinking are asynchronous: wait (bounded) for all of it, then assert each.
    await waitFor(
      'descriptors and spool back to baseline',
      async () => {
        const now = openDescriptors(pid)
        return (
          now.count <= baseline.count + 2 &&
          now.deletedFiles.length === 0 &&
          fs.readdirSync(spool).length === 0
        )
      },
      10_000,
    ).catch(() => undefined)
    const now = openDescriptors(pid)
    expect(now.deletedFiles).toEqual([])
    expect(fs.readdirSync(spool)).toEqual([])
    expect((await standalone.api('GET', '/api/objects?bucket=aborted')).body.objects).toEqual([])
    expect(await s3Of(minios[0]!).stat('aborted', 'streamed.bin')).toBeUndefined()
    // Hanging up is not an outage: FaDO said nothing about the database or a failure.
    expect(standalone.fado.stderr()).not.toMatch(/database is unavailable|unexpected error/)
    // And it still takes uploads.
    const ok = await fetch(`${standalone.url}/api/objects?path=aborted/ok.bin`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${TOKEN}` },
      body: new Uint8Array(chunk),
    })
    expect(ok.status).toBe(201)
  }, 120_000)
})
