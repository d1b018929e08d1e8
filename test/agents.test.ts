/**
 * Agents move replica bytes next to the storage (issue 22): real MinIO servers and a real
 * SeaweedFS (kind s3), real `fado agent` processes holding only an agent token. Control reaches
 * every storage through a relay that counts the bytes it carries; the agents reach the storages
 * directly (--storage-endpoint), so what control's link carries is measured, not assumed.
 */
import { createHash } from 'node:crypto'
import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startWanRelay, type RunningRelay } from '../platform/wan-relay.js'
import { SEAWEED_PASSWORD, SEAWEED_USER, type SeaweedServer } from '../platform/seaweed-server.js'
import { agentToken, listAgents, startAgentProcess, type TestAgent } from './helpers/agents.js'
import { startTestControl, type TestControl } from './helpers/control.js'
import { POSTGRES } from './helpers/engines.js'
import { runFado } from './helpers/fado-process.js'
import { startMinio, startSeaweed, type TestMinio } from './helpers/minio.js'
import { waitSynced } from './helpers/platform.js'
import { waitFor } from './helpers/ports.js'
import { randomData, readBytes, s3Of, s3OfSeaweed, sha256, trackBody } from './helpers/storage.js'

const MiB = 1024 * 1024
let fado: TestControl
let hpc: TestMinio
let cloud: TestMinio
let lab: TestMinio
let weed: SeaweedServer
const relays: RunningRelay[] = []
const agents: TestAgent[] = []
const clusterIds: Record<string, number> = {}
const storageIds: Record<string, number> = {}
/** Bytes control's relays carried, both ways. */
const controlLinkBytes = () => relays.reduce((n, r) => n + r.bytes.toTarget + r.bytes.fromTarget, 0)

/** A relay in front of a storage: the only way control reaches it. */
async function relayTo(endpoint: string): Promise<RunningRelay> {
  const [host, port] = endpoint.split(':') as [string, string]
  const relay = await startWanRelay({ rttMs: 0, mbit: 4000, target: { host, port: Number(port) } })
  relays.push(relay)
  return relay
}

async function track(name: string, body: Record<string, unknown>, endpoint: string) {
  const cluster = await fado.api('POST', '/api/clusters', { name, zones: [] })
  clusterIds[name] = cluster.body.cluster_id
  const relay = await relayTo(endpoint)
  const res = await fado.api('POST', '/api/storage-deployments', {
    ...body,
    cluster_id: cluster.body.cluster_id,
    endpoint: relay.endpoint,
  })
  expect(res.status, res.text).toBe(201)
  storageIds[name] = res.body.storage_id
}

const direct = () => ({
  'minio-hpc': hpc.endpoint,
  'minio-cloud': cloud.endpoint,
  'minio-lab': lab.endpoint,
  'weed-edge': weed.endpoint,
})

async function agent(cluster: string, endpoints = direct()): Promise<TestAgent> {
  const a = await startAgentProcess({
    controlUrl: fado.running.apiUrl,
    token: await agentToken(fado, clusterIds[cluster] as number),
    cluster,
    endpoints,
  })
  agents.push(a)
  return a
}

async function metric(name: string, labels: string): Promise<number> {
  const text = await (await fado.fetch('/metrics')).text()
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`))
  return line ? Number(line.split(' ').pop()) : 0
}

beforeAll(async () => {
  ;[hpc, cloud, lab, weed] = await Promise.all([
    startMinio(),
    startMinio(),
    startMinio(),
    startSeaweed(),
  ])
  fado = await startTestControl(await POSTGRES.target(), {
    config: { multipartThreshold: 5 * MiB },
  })
  await track('hpc', trackBody(hpc, 'minio-hpc', 0), hpc.endpoint)
  await track('cloud', trackBody(cloud, 'minio-cloud', 0), cloud.endpoint)
  await track('lab', trackBody(lab, 'minio-lab', 0), lab.endpoint)
  await track(
    'edge',
    {
      alias: 'weed-edge',
      kind: 's3',
      access_key: SEAWEED_USER,
      secret_key: SEAWEED_PASSWORD,
    },
    weed.endpoint,
  )
  await agent('cloud')
  await agent('edge')
}, 120_000)

afterAll(async () => {
  await fado?.close()
  await Promise.all(agents.map((a) => a.stop()))
  await Promise.all(relays.map((r) => r.close()))
  await Promise.all([hpc, cloud, lab].map((m) => m?.destroy()))
  await weed?.destroy()
})

describe('agents move the bytes, control the metadata', () => {
  it('replicates to MinIO and SeaweedFS through agents, control carrying under 1 % of the bytes', async () => {
    const master = s3Of(hpc)
    await master.makeBucket('photos')
    const small = Array.from({ length: 40 }, (_, i) => ({
      key: `small/${String(i).padStart(2, '0')}.txt`,
      data: randomData(2_000 + i),
    }))
    const large = { key: 'large/scan.bin', data: randomData(12 * MiB) }
    for (const o of [...small, large])
      await master.putObject('photos', o.key, Readable.from([o.data]), o.data.length, {
        contentType: 'text/x-fado',
      })
    const objectBytes = [...small, large].reduce((n, o) => n + o.data.length, 0)
    const before = controlLinkBytes()

    const res = await fado.api('POST', '/api/buckets', {
      name: 'photos',
      storage_id: storageIds.hpc,
      replica_locations: [storageIds.cloud, storageIds.edge],
    })
    expect(res.status, res.text).toBe(201)
    await waitSynced(fado, res.body.bucket_id, [storageIds.cloud!, storageIds.edge!])

    for (const replica of [s3Of(cloud), s3OfSeaweed(weed)]) {
      for (const o of [...small, large]) {
        const copy = await readBytes(replica, 'photos', o.key)
        expect(sha256(copy), `${o.key} on ${replica.conn.endpoint}`).toBe(sha256(o.data))
      }
      const stat = await replica.stat('photos', large.key)
      expect(stat?.metadata['content-type']).toBe('text/x-fado')
      // The master's ETag rides along as on any copy FaDO makes (multipart ETags differ).
      expect(stat?.metadata['fado-source-etag']).toBe(
        (await master.stat('photos', large.key))?.etag,
      )
    }
    const small0 = await s3Of(cloud).stat('photos', small[0]!.key)
    expect(small0?.metadata['fado-source-etag']).toBe(
      createHash('md5').update(small[0]!.data).digest('hex'),
    )

    // Two replicas: the bytes went twice over the agents' links, and not over control's.
    const carried = controlLinkBytes() - before
    expect(carried).toBeLessThan(objectBytes * 0.01)
    expect(await metric('fado_replication_bytes_total', 'via="control"')).toBe(0)
    expect(await metric('fado_replication_bytes_total', 'via="agent"')).toBe(2 * objectBytes)

    // Recorded as an in-process copy is: one record per object per replica.
    const rows = await fado.running.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM replica_objects ro JOIN buckets b ON b.bucket_id = ro.bucket_id
       WHERE b.name = 'photos'`,
    )
    expect(rows[0]?.n).toBe(2 * 41)

    const listed = await listAgents(fado)
    const byCluster = (name: string) => listed.filter((a) => a.cluster_id === clusterIds[name])
    expect(byCluster('cloud')[0]).toMatchObject({ live: true, in_flight: 0 })
    expect(byCluster('cloud')[0]!.bytes_moved).toBe(objectBytes)
    expect(byCluster('edge')[0]!.bytes_moved).toBe(objectBytes)
    expect(byCluster('cloud')[0]!.version).toMatch(/^\d+\.\d+\.\d+$/)
    expect(await metric('fado_agents_live', 'cluster="cloud"')).toBe(1)

    // A change after the sync takes the event path, through the agent too.
    const later = randomData(5_000)
    await master.putObject('photos', 'small/later.txt', Readable.from([later]), later.length)
    await waitFor('the new object on the replicas', async () => {
      const copies = await Promise.all(
        [s3Of(cloud), s3OfSeaweed(weed)].map((r) =>
          readBytes(r, 'photos', 'small/later.txt').catch(() => Buffer.alloc(0)),
        ),
      )
      return copies.every((c) => sha256(c) === sha256(later))
    })
    expect(await metric('fado_replication_bytes_total', 'via="control"')).toBe(0)

    // A full pass afterwards finds every agent's copy as FaDO recorded it: nothing copied again.
    const moved = await metric('fado_replication_bytes_total', 'via="agent"')
    expect(moved).toBe(2 * (objectBytes + later.length))
    const passedAt = async () =>
      (await fado.api('GET', `/api/buckets/${res.body.bucket_id}`)).body.replicas.map(
        (r: { last_full_pass_at: string | null }) => r.last_full_pass_at,
      ) as (string | null)[]
    const before2 = await passedAt()
    expect((await fado.api('POST', `/api/buckets/${res.body.bucket_id}/sync`)).status).toBe(202)
    await waitFor('a full pass over both replicas', async () =>
      (await passedAt()).every((at, i) => at !== null && at !== before2[i]),
    )
    expect(await metric('fado_replication_bytes_total', 'via="agent"')).toBe(moved)
    const repaired = (await fado.api('GET', `/api/buckets/${res.body.bucket_id}`)).body.replicas
    for (const r of repaired) expect(r.repaired_objects).toBe(0)
  }, 120_000)

  it("with no agent in the replica's cluster, the master's cluster's agent pushes", async () => {
    const master = s3Of(cloud)
    await master.makeBucket('pushed')
    const data = randomData(300_000)
    await master.putObject('pushed', 'report.pdf', Readable.from([data]), data.length)
    const controlBytes = await metric('fado_replication_bytes_total', 'via="control"')
    const res = await fado.api('POST', '/api/buckets', {
      name: 'pushed',
      storage_id: storageIds.cloud,
      replica_locations: [storageIds.hpc],
    })
    expect(res.status, res.text).toBe(201)
    await waitSynced(fado, res.body.bucket_id, [storageIds.hpc!])
    expect(sha256(await readBytes(hpc, 'pushed', 'report.pdf'))).toBe(sha256(data))
    expect(await metric('fado_replication_bytes_total', 'via="control"')).toBe(controlBytes)
  }, 60_000)

  it('an agent token works for its own cluster only, and not once revoked', async () => {
    const token = await agentToken(fado, clusterIds.cloud as number)
    const base = ['agent', '--control-url', fado.running.apiUrl, '--token', token]
    const wrong = await runFado([...base, '--cluster', 'lab'])
    expect(wrong.code).toBe(1)
    expect(wrong.stderr).toMatch(/403 forbidden.*agents of cluster 'cloud', not 'lab'/)

    // Nor may it act on another cluster's work, or anything else.
    const other = await fado.api('POST', '/api/agent/work/1/report', { agent_id: 'x' }, token)
    expect([400, 403, 409]).toContain(other.status)
    expect((await fado.api('GET', '/api/buckets', undefined, token)).status).toBe(403)
    // Work goes to agents only, whatever else a token may do.
    const admin = await fado.api('POST', '/api/agent/claim', {
      agent_id: 'admin-pretending',
      cluster: 'cloud',
      version: '1',
    })
    expect(admin.status).toBe(403)
    expect(admin.body.error.message).toMatch(/only an agent token takes work/)

    const tokens = (await fado.api('GET', '/api/tokens')).body as {
      token_id: number
      cluster_id: number | null
    }[]
    const id = tokens.filter((t) => t.cluster_id === clusterIds.cloud).at(-1)!.token_id
    expect((await fado.api('DELETE', `/api/tokens/${id}`)).status).toBe(204)
    const revoked = await runFado([...base, '--cluster', 'cloud'])
    expect(revoked.code).toBe(1)
    expect(revoked.stderr).toMatch(/401 unauthorized/)
    const ids = (await listAgents(fado)).map((a) => a.agent_id)
    expect(ids.some((i) => wrong.stdout.includes(i) || revoked.stdout.includes(i))).toBe(false)

    const bad = await fado.api('POST', '/api/tokens', { name: 'no-cluster', scope: 'agent' })
    expect(bad.status).toBe(400)
    expect(bad.text).toMatch(/cluster_id/)
  }, 60_000)

  it('a bucket whose bytes never pass through control waits for an agent, and a refused agent is shown, not replaced', async () => {
    const master = s3Of(hpc)
    await master.makeBucket('eu-only')
    const data = randomData(200_000)
    await master.putObject('eu-only', 'records.csv', Readable.from([data]), data.length)
    const res = await fado.api('POST', '/api/buckets', {
      name: 'eu-only',
      storage_id: storageIds.hpc,
      replica_locations: [storageIds.lab],
      data_path: 'agents',
    })
    expect(res.status, res.text).toBe(201)
    expect(res.body.data_path).toBe('agents')
    const bucketId = res.body.bucket_id as number
    const replica = async () =>
      (await fado.api('GET', `/api/buckets/${bucketId}`)).body.replicas[0] as {
        status: string
        error: string | null
      }
    await waitFor(
      'the replica to wait for an agent',
      async () => (await replica()).status === 'waiting',
    )
    expect((await replica()).error).toMatch(/no agent is running in cluster lab or hpc/)
    await new Promise((r) => setTimeout(r, 1_500))
    expect(await readBytes(lab, 'eu-only', 'records.csv').catch(() => undefined)).toBeUndefined()

    // An agent in lab that cannot reach lab's storage (its address refused): the replica says
    // why, and control does not take the bytes over.
    const closed = await relayTo(lab.endpoint)
    await closed.close()
    const refusedAgent = await agent('lab', { ...direct(), 'minio-lab': closed.endpoint })
    await waitFor('the replica to show the agent failing', async () => {
      const r = await replica()
      return r.status === 'error' && /could not reach storage/.test(r.error ?? '')
    })
    expect((await replica()).error).toMatch(
      /agent agent-\S+: could not reach storage to write .* \(127\.0\.0\.1:\d+\): ECONNREFUSED/,
    )
    expect(await metric('fado_replication_bytes_total', 'via="control"')).toBe(0)
    await refusedAgent.stop()

    await agent('lab')
    await waitSynced(fado, bucketId, [storageIds.lab!])
    expect(sha256(await readBytes(lab, 'eu-only', 'records.csv'))).toBe(sha256(data))
    expect(await metric('fado_replication_bytes_total', 'via="control"')).toBe(0)
  }, 120_000)
})
