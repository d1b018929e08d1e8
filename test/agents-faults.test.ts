/**
 * Agents under faults, each injected for real (issue 22): an agent SIGKILLed mid-copy, an agent
 * SIGSTOPped past its lease, control restarted while agents work, pre-signed URLs that expire
 * on the way. Real MinIO servers; the agents read the master over a 40 Mbit/s relay, so a copy
 * takes seconds and a fault lands in the middle of it. Leases are 2 s and URLs valid for 2 s.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startWanRelay, type RunningRelay } from '../platform/wan-relay.js'
import type { DbTarget } from '../control/db/client.js'
import { agentToken, listAgents, startAgentProcess, type TestAgent } from './helpers/agents.js'
import { startTestControl, type TestControl } from './helpers/control.js'
import { POSTGRES } from './helpers/engines.js'
import { sleep } from './helpers/faults.js'
import { startMinio, type TestMinio } from './helpers/minio.js'
import { waitSynced } from './helpers/platform.js'
import { freePort, waitFor } from './helpers/ports.js'
import { listing, randomData, readBytes, s3Of, sha256, trackBody } from './helpers/storage.js'

const MiB = 1024 * 1024
let target: DbTarget
let apiPort: number
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fado-agents-faults-'))
let fado: TestControl
let hpc: TestMinio
let cloud: TestMinio
let slow: RunningRelay
let token: string
const agents: TestAgent[] = []
const ids: Record<string, number> = {}

const startControl = () =>
  startTestControl(target, {
    apiPort,
    // The same data dir: the restarted control has the key the storage secrets are sealed with.
    dataDir,
    config: { multipartThreshold: 5 * MiB, agentLease: 2_000, agentUrlExpiry: 2 },
  })

async function agent(): Promise<TestAgent> {
  const a = await startAgentProcess({
    controlUrl: `http://127.0.0.1:${apiPort}`,
    token,
    cluster: 'cloud',
    // The master over the slow link; the replica next door.
    endpoints: { 'minio-hpc': slow.endpoint, 'minio-cloud': cloud.endpoint },
  })
  agents.push(a)
  return a
}

const agentRow = async (a: TestAgent) =>
  (await listAgents(fado)).find((row) => row.agent_id === a.agentId)

/** A bucket on hpc replicated to cloud, with these objects on the master first. */
async function bucketWith(name: string, objects: { key: string; data: Buffer }[]) {
  const master = s3Of(hpc)
  await master.makeBucket(name)
  for (const o of objects)
    await master.putObject(name, o.key, Readable.from([o.data]), o.data.length)
  const res = await fado.api('POST', '/api/buckets', {
    name,
    storage_id: ids.hpc,
    replica_locations: [ids.cloud],
  })
  expect(res.status, res.text).toBe(201)
  return res.body.bucket_id as number
}

async function recordsOf(bucket: string): Promise<string[]> {
  const rows = await fado.running.db.query<{ key: string }>(
    `SELECT ro.name AS key FROM replica_objects ro JOIN buckets b ON b.bucket_id = ro.bucket_id
     WHERE b.name = $1 ORDER BY ro.name COLLATE "C"`,
    [bucket],
  )
  return rows.map((r) => r.key)
}

beforeAll(async () => {
  ;[hpc, cloud] = await Promise.all([startMinio(), startMinio()])
  const [host, port] = hpc.endpoint.split(':') as [string, string]
  slow = await startWanRelay({ rttMs: 4, mbit: 40, target: { host, port: Number(port) } })
  target = await POSTGRES.target()
  apiPort = await freePort()
  fado = await startControl()
  for (const [name, minio] of [
    ['hpc', hpc],
    ['cloud', cloud],
  ] as const) {
    const cluster = await fado.api('POST', '/api/clusters', { name, zones: [] })
    const storage = await fado.api(
      'POST',
      '/api/storage-deployments',
      trackBody(minio, `minio-${name}`, cluster.body.cluster_id),
    )
    expect(storage.status, storage.text).toBe(201)
    ids[name] = storage.body.storage_id
    ids[`cluster-${name}`] = cluster.body.cluster_id
  }
  token = await agentToken(fado, ids['cluster-cloud']!)
}, 120_000)

afterAll(async () => {
  await fado?.close()
  for (const a of agents) {
    a.child.kill('SIGCONT')
    await a.stop()
  }
  await slow?.close()
  await Promise.all([hpc, cloud].map((m) => m?.destroy()))
})

describe('agent faults', () => {
  it('an agent SIGKILLed mid-copy: another agent copies the object once, completely; nothing recorded half-way', async () => {
    const first = await agent()
    const data = randomData(16 * MiB)
    const bucketId = await bucketWith('killed', [{ key: 'scan.bin', data }])
    await waitFor('the first agent to hold the copy', async () => {
      return ((await agentRow(first))?.in_flight ?? 0) > 0
    })
    await sleep(1_200) // a part or two on the way
    first.child.kill('SIGKILL')
    expect(await recordsOf('killed')).toEqual([])
    expect(await readBytes(cloud, 'killed', 'scan.bin').catch(() => undefined)).toBeUndefined()

    const second = await agent()
    await waitSynced(fado, bucketId, [ids.cloud!])
    expect(sha256(await readBytes(cloud, 'killed', 'scan.bin'))).toBe(sha256(data))
    expect(Object.keys((await listing(cloud, 'killed')) ?? {})).toEqual(['scan.bin'])
    expect(await recordsOf('killed')).toEqual(['scan.bin'])
    expect((await agentRow(first))?.bytes_moved).toBe(0)
    expect(await agentRow(second)).toMatchObject({ bytes_moved: data.length, work_done: 1 })
    // Its URLs (valid 2 s) ran out between parts: signed again by control, and the part retried.
    expect(second.stderr()).toContain('pre-signed URLs renewed')
    await second.stop()
  }, 90_000)

  it('an agent SIGSTOPped past its lease: the work is re-offered, and its late result refused, not counted', async () => {
    const late = await agent()
    const data = randomData(12 * MiB)
    const bucketId = await bucketWith('stopped', [{ key: 'model.bin', data }])
    await waitFor('the agent to hold the copy', async () => {
      return ((await agentRow(late))?.in_flight ?? 0) > 0
    })
    late.child.kill('SIGSTOP')
    const other = await agent()
    await waitSynced(fado, bucketId, [ids.cloud!])
    expect(sha256(await readBytes(cloud, 'stopped', 'model.bin'))).toBe(sha256(data))
    expect(await agentRow(other)).toMatchObject({ bytes_moved: data.length, work_done: 1 })

    late.child.kill('SIGCONT')
    // Back, it learns that its lease is gone: when it renews, or when it reports.
    await waitFor(
      'the late agent to be told its lease is gone',
      async () =>
        ((await agentRow(late))?.reports_refused ?? 0) > 0 || /lease lost/.test(late.stderr()),
      20_000,
    )
    expect((await agentRow(late))?.bytes_moved).toBe(0)
    expect(await recordsOf('stopped')).toEqual(['model.bin'])
    expect(sha256(await readBytes(cloud, 'stopped', 'model.bin'))).toBe(sha256(data))
    await Promise.all([late.stop(), other.stop()])
  }, 90_000)

  it('a pre-signed URL that expires mid-transfer is signed again and the step retried', async () => {
    const one = await agent()
    const data = randomData(20 * MiB)
    const bucketId = await bucketWith('expiring', [{ key: 'video.bin', data }])
    await waitSynced(fado, bucketId, [ids.cloud!])
    expect(sha256(await readBytes(cloud, 'expiring', 'video.bin'))).toBe(sha256(data))
    // 4 parts at 40 Mbit/s take ~4 s; every URL was valid for 2 s from when it was signed.
    expect(one.stderr().match(/pre-signed URLs renewed/g)?.length ?? 0).toBeGreaterThan(0)
    expect(await agentRow(one)).toMatchObject({ bytes_moved: data.length, work_failed: 0 })
    await one.stop()
  }, 60_000)

  it('several agents of one cluster share its work', async () => {
    const pair = [await agent(), await agent()]
    const objects = Array.from({ length: 12 }, (_, i) => ({
      key: `clip-${i}`,
      data: randomData(2 * MiB + i),
    }))
    const bucketId = await bucketWith('shared', objects)
    await waitSynced(fado, bucketId, [ids.cloud!])
    const rows = await Promise.all(pair.map(agentRow))
    for (const row of rows) expect(row?.work_done).toBeGreaterThan(0)
    expect(rows.reduce((n, r) => n + (r?.bytes_moved ?? 0), 0)).toBe(
      objects.reduce((n, o) => n + o.data.length, 0),
    )
    await Promise.all(pair.map((a) => a.stop()))
  }, 60_000)

  it('control restarted while agents work: they retry with back-off, reconnect and finish', async () => {
    const worker = await agent()
    const objects = Array.from({ length: 24 }, (_, i) => ({
      key: `part-${String(i).padStart(2, '0')}`,
      data: randomData(900 * 1024 + i),
    }))
    const bucketId = await bucketWith('restart', objects)
    await waitFor('the agent to finish some work', async () => {
      return ((await agentRow(worker))?.work_done ?? 0) > 0
    })
    await fado.close()
    await waitFor('the agent to notice', async () => /control unreachable/.test(worker.stderr()))
    await sleep(1_500)
    fado = await startControl()
    await waitSynced(fado, bucketId, [ids.cloud!])
    for (const o of objects)
      expect(sha256(await readBytes(cloud, 'restart', o.key)), o.key).toBe(sha256(o.data))
    expect(worker.stderr()).toContain('control reachable again')
    expect(worker.child.exitCode).toBeNull()
    expect((await agentRow(worker))?.live).toBe(true)
    expect(await recordsOf('restart')).toEqual(objects.map((o) => o.key))
  }, 120_000)
})
