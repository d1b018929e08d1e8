/**
 * Storage over HTTPS (issue 13): a real MinIO serving TLS with a certificate from a test CA. A
 * FaDO that does not trust the CA refuses to track it with a message saying why; `fado standalone`
 * started with the CA in NODE_EXTRA_CA_CERTS (Node's way to add a CA) tracks it with use_ssl,
 * configures its webhook, and stores and serves objects through it byte for byte.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MINIO_PASSWORD, MINIO_USER, startMinioServer } from '../platform/minio-server.js'
import { POSTGRES } from './helpers/engines.js'
import { startTestControl, type TestControl } from './helpers/control.js'
import { standaloneArgs, startFado, type RunningFado } from './helpers/fado-process.js'
import { requireMinio, type TestMinio } from './helpers/minio.js'
import { randomData, sha256, uploadForm } from './helpers/storage.js'
import { makeCa } from './helpers/tls.js'
import { waitFor } from './helpers/ports.js'

const TOKEN = 'tls-test-admin-token-0123456789'
let dir: string
let minio: TestMinio
let untrusting: TestControl
let fado: RunningFado
let api: string

const call = async (method: string, p: string, body?: unknown) => {
  const res = await fetch(`${api}${p}`, {
    method,
    headers: {
      authorization: `Bearer ${TOKEN}`,
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    ...(body ? { body: JSON.stringify(body) } : {}),
    signal: AbortSignal.timeout(30_000),
  })
  const text = await res.text()
  return { status: res.status, text, body: text ? JSON.parse(text) : undefined }
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fado-storage-tls-'))
  const ca = makeCa(path.join(dir, 'ca'))
  const cert = ca.issue('minio')
  minio = await startMinioServer({ bin: requireMinio(), tls: { ...cert, ca: ca.cert } })
  untrusting = await startTestControl(await POSTGRES.target())
  const { args, apiPort } = await standaloneArgs(
    '--data-dir',
    path.join(dir, 'fado'),
    '--admin-token',
    TOKEN,
    '--database',
    'memory',
  )
  fado = startFado(args, { env: { NODE_EXTRA_CA_CERTS: ca.certFile } })
  api = `http://127.0.0.1:${apiPort}`
  await waitFor('fado standalone to answer', async () => {
    const res = await fetch(`${api}/healthz`).catch(() => undefined)
    return res?.status === 200
  })
}, 120_000)

afterAll(async () => {
  await fado?.stop()
  await untrusting?.close()
  await minio?.destroy()
  fs.rmSync(dir, { recursive: true, force: true })
})

describe('storage over HTTPS', () => {
  const body = (clusterId: number) => ({
    alias: 'minio-tls',
    cluster_id: clusterId,
    endpoint: minio.endpoint,
    use_ssl: true,
    access_key: MINIO_USER,
    secret_key: MINIO_PASSWORD,
  })

  it('a certificate FaDO does not trust is refused, saying so', async () => {
    const cluster = await untrusting.api('POST', '/api/clusters', { name: 'tls', zones: [] })
    const res = await untrusting.api(
      'POST',
      '/api/storage-deployments',
      body(cluster.body.cluster_id),
    )
    expect(res.status).toBe(502)
    expect(res.body.error.message).toMatch(/TLS certificate is not trusted.*NODE_EXTRA_CA_CERTS/)
    expect((await untrusting.api('GET', '/api/storage-deployments')).body).toEqual([])
  })

  it('with the CA added, FaDO tracks it over TLS and stores and serves objects through it', async () => {
    const cluster = await call('POST', '/api/clusters', { name: 'tls', zones: [] })
    const track = await call('POST', '/api/storage-deployments', body(cluster.body.cluster_id))
    expect(track.status, track.text).toBe(201)
    expect(track.body).toMatchObject({ use_ssl: true, sqs_arn: 'arn:minio:sqs::fado:webhook' })
    const bucket = await call('POST', '/api/buckets', {
      name: 'secure',
      storage_id: track.body.storage_id,
    })
    expect(bucket.status, bucket.text).toBe(201)
    const data = randomData(300_000)
    const authed = (p: string, init: RequestInit = {}) =>
      fetch(`${api}${p}`, { ...init, headers: { authorization: `Bearer ${TOKEN}` } })
    expect((await uploadForm(authed, 'secure', 'scan.bin', data)).status).toBe(201)
    const down = await authed('/api/objects?path=secure/scan.bin')
    expect(down.status).toBe(200)
    expect(sha256(Buffer.from(await down.arrayBuffer()))).toBe(sha256(data))
  })
})
