/**
 * FaDO and the operator's own MinIO configuration, with a real MinIO that has an operator's
 * webhook target of its own (AUDIT, pointing at a local receiver) and an operator's notification
 * rules on a bucket before FaDO imports it:
 * - FaDO never takes the AUDIT target for its own: it adds its own target (id fado) and subscribes
 *   the bucket to that only; an upload through FaDO sends nothing to the audit receiver.
 * - the operator's rules survive FaDO's subscription, a pass, a FaDO restart and untracking; FaDO
 *   takes out only its own rule.
 * And /api/notify under abuse: a notify token is tied to its storage deployment (records naming
 * another are refused and counted), and 1,000 records for one unknown bucket make one storage
 * call, as one record does — counted on the MinIO server itself (its S3 request metrics).
 */
import fs from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { insertToken } from '../control/db/api-tokens.js'
import type { NotificationRule } from '../control/storage/notification-rules.js'
import { hashToken } from '../control/auth/tokens.js'
import { createToken, startTestControl, type TestControl } from './helpers/control.js'
import { startMinio, type TestMinio } from './helpers/minio.js'
import { freePort, waitFor } from './helpers/ports.js'
import { putBytes, s3Of, trackBody, uploadForm } from './helpers/storage.js'
import { serverInfo } from '../control/storage/admin-api.js'
import { notificationRules, setNotificationRules } from '../control/storage/bucket-notifications.js'

const AUDIT_ARN = 'arn:minio:sqs::AUDIT:webhook'
const FADO_ARN = 'arn:minio:sqs::fado:webhook'

let minio: TestMinio
let fado: TestControl
let audit: http.Server
const audited: string[] = []
let dataDir: string
let apiPort: number
let storageId: number
let clusterId: number
let relayed: string

/** The operator's rules on the bucket before FaDO sees it: two kinds of event, with filters. */
const operatorRules: NotificationRule[] = [
  {
    kind: 'queue',
    id: 'audit-reads',
    arn: AUDIT_ARN,
    events: ['s3:ObjectAccessed:Get'],
    filter: [
      { name: 'prefix', value: 'audit/' },
      { name: 'suffix', value: '.log' },
    ],
  },
  {
    kind: 'queue',
    id: 'incoming',
    arn: AUDIT_ARN,
    events: ['s3:ObjectCreated:Put'],
    filter: [{ name: 'prefix', value: 'incoming/' }],
  },
]

const rulesOn = async (bucket: string) => notificationRules(s3Of(minio), bucket)
const operatorsOnly = (rules: NotificationRule[]) =>
  rules
    .filter((r) => r.arn === AUDIT_ARN)
    .map((r) => ({ id: r.id, events: r.events, filter: r.filter }))
const expectOperatorRulesIntact = async (bucket: string) =>
  expect(operatorsOnly(await rulesOn(bucket))).toEqual(
    operatorRules.map((r) => ({ id: r.id, events: r.events, filter: r.filter })),
  )

const start = async () => {
  fado = await startTestControl(
    { kind: 'pglite', dataDir: path.join(dataDir, 'pgdata') },
    {
      dataDir,
      apiPort,
    },
  )
}

/**
 * What FaDO asks of the storage server, counted on the way: FaDO tracks the MinIO through this
 * plain HTTP relay, which counts each request by method and path.
 */
let relay: http.Server
const asked = new Map<string, number>()
async function startRelay(target: string): Promise<string> {
  const [host, port] = target.split(':') as [string, string]
  relay = http.createServer((req, res) => {
    const key = `${req.method} ${new URL(req.url ?? '/', 'http://x').pathname}`
    asked.set(key, (asked.get(key) ?? 0) + 1)
    const upstream = http.request(
      { host, port: Number(port), method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
      },
    )
    upstream.on('error', () => res.destroy())
    req.pipe(upstream)
  })
  await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r))
  return `127.0.0.1:${(relay.address() as AddressInfo).port}`
}

beforeAll(async () => {
  audit = http.createServer((req, res) => {
    let body = ''
    req.on('data', (d: Buffer) => (body += d.toString()))
    req.on('end', () => {
      audited.push(body)
      res.end()
    })
  })
  await new Promise<void>((r) => audit.listen(0, '127.0.0.1', r))
  const auditUrl = `http://127.0.0.1:${(audit.address() as AddressInfo).port}/audit`
  minio = await startMinio(undefined, {
    MINIO_NOTIFY_WEBHOOK_ENABLE_AUDIT: 'on',
    MINIO_NOTIFY_WEBHOOK_ENDPOINT_AUDIT: auditUrl,
  })
  await waitFor('the AUDIT target to load', async () =>
    (await serverInfo(s3Of(minio))).sqsArns.includes(AUDIT_ARN),
  )
  await s3Of(minio).makeBucket('ledger')
  await setNotificationRules(s3Of(minio), 'ledger', operatorRules)
  await expectOperatorRulesIntact('ledger')

  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fado-notify-'))
  apiPort = await freePort()
  relayed = await startRelay(minio.endpoint)
  await start()
  clusterId = (await fado.api('POST', '/api/clusters', { name: 'site' })).body.cluster_id
}, 120_000)

afterAll(async () => {
  await fado?.close()
  audit?.close()
  relay?.closeAllConnections()
  relay?.close()
  await minio?.destroy()
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true })
})

const bucketId = async (name: string) =>
  ((await fado.api('GET', '/api/buckets')).body as { bucket_id: number; name: string }[]).find(
    (b) => b.name === name,
  )?.bucket_id

describe("someone else's webhook target and bucket rules", () => {
  it('tracking adds FaDO’s own target and subscribes the bucket beside the operator’s rules', async () => {
    const res = await fado.api('POST', '/api/storage-deployments', {
      ...trackBody(minio, 'site-minio', clusterId),
      endpoint: relayed,
    })
    expect(res.status, res.text).toBe(201)
    storageId = res.body.storage_id
    // Not the AUDIT target, although it was the only webhook there: one of FaDO's own.
    expect(res.body.sqs_arn).toBe(FADO_ARN)
    expect((await serverInfo(s3Of(minio))).sqsArns).toEqual(
      expect.arrayContaining([AUDIT_ARN, FADO_ARN]),
    )
    await waitFor('the bucket to be subscribed to FaDO’s target', async () =>
      (await rulesOn('ledger')).some((r) => r.arn === FADO_ARN),
    )
    const rules = await rulesOn('ledger')
    expect(rules.filter((r) => r.arn === FADO_ARN)).toEqual([
      expect.objectContaining({ events: ['s3:ObjectCreated:*', 's3:ObjectRemoved:*'], filter: [] }),
    ])
    await expectOperatorRulesIntact('ledger')
  }, 90_000)

  it('an upload through FaDO reaches FaDO, and nothing of it the audit receiver', async () => {
    const up = await uploadForm(
      (p, init) => fado.fetch(p, init),
      'ledger',
      'payroll/2026-salaries.csv',
      Buffer.from('name,salary\n'),
    )
    expect(up.status, await up.text()).toBe(201)
    // A write made directly on the server is told to FaDO through its own target.
    await putBytes(minio, 'ledger', 'direct/note.txt', Buffer.from('hi'))
    await waitFor(
      'FaDO to index the direct write',
      async () =>
        (await fado.api('GET', '/api/objects?path=ledger/direct/note.txt')).status === 200,
      10_000,
    )
    // The write reaches FaDO through its webhook target too (the event stream may index it
    // first; MinIO sends both): the webhook's token is used. MinIO sends its webhook events from a
    // queue of its own and may drop an event while it still counts a new target offline (FaDO
    // sets no queue_dir): a write is made again every 5 s until one is delivered.
    const webhookUsed = async () =>
      (
        (await fado.api('GET', '/api/tokens')).body as {
          name: string
          last_used_at: string | null
        }[]
      ).find((t) => t.name === `storage-${storageId}-webhook`)?.last_used_at != null
    let writes = 0
    let wroteAt = Date.now()
    await waitFor(
      'FaDO’s webhook target to deliver',
      async () => {
        if (await webhookUsed()) return true
        if (Date.now() - wroteAt > 5_000) {
          writes++
          await putBytes(minio, 'ledger', `direct/note-${String(writes)}.txt`, Buffer.from('hi'))
          wroteAt = Date.now()
        }
        return false
      },
      60_000,
    )
    expect(audited.join('\n')).not.toContain('payroll')
    expect(audited.join('\n')).not.toContain('2026-salaries')
    // The operator's own rules still work: a PUT under incoming/ goes to the audit receiver.
    await putBytes(minio, 'ledger', 'incoming/batch-1.csv', Buffer.from('x'))
    await waitFor('the operator’s rule to deliver', async () =>
      audited.some((b) => b.includes('incoming/batch-1.csv')),
    )
  }, 120_000)

  it('the operator’s rules survive a pass and a FaDO restart', async () => {
    const id = await bucketId('ledger')
    expect((await fado.api('POST', `/api/buckets/${String(id)}/sync`)).status).toBe(202)
    await new Promise((r) => setTimeout(r, 1_000))
    await expectOperatorRulesIntact('ledger')
    await fado.close()
    await start()
    // The first pass after a start subscribes every master bucket again.
    const id2 = await bucketId('ledger')
    expect((await fado.api('POST', `/api/buckets/${String(id2)}/sync`)).status).toBe(202)
    await new Promise((r) => setTimeout(r, 1_500))
    await expectOperatorRulesIntact('ledger')
    expect((await rulesOn('ledger')).filter((r) => r.arn === FADO_ARN)).toHaveLength(1)
  }, 90_000)

  it('notify: a token tied to another deployment is refused; 1,000 records cost one storage call', async () => {
    const info = await serverInfo(s3Of(minio))
    const record = (eventName: string, bucket: string, key?: string) => ({
      eventName,
      s3: { bucket: { name: bucket }, ...(key ? { object: { key } } : {}) },
      responseElements: { 'x-minio-deployment-id': info.deploymentId },
    })
    // A notify token made for another storage deployment.
    const other = await createToken(fado, 'notify', 'other-hooks', 'other-minio')
    const refused = await fado.api(
      'POST',
      '/api/notify',
      { Records: [record('s3:ObjectRemoved:Delete', 'ledger', 'payroll/2026-salaries.csv')] },
      other,
    )
    expect(refused.status, refused.text).toBe(200)
    expect(refused.body).toMatchObject({ received: 1, applied: 0, refused: 1 })
    const metrics = await fado.fetch('/metrics')
    expect(await metrics.text()).toMatch(/^fado_notify_records_refused_total 1$/m)
    // The object is still indexed: nothing acted on the forged delete.
    expect(
      (await fado.api('GET', '/api/objects?path=ledger/payroll/2026-salaries.csv')).status,
    ).toBe(200)

    // A notify token made before tokens named their deployment (none named) delivers for none.
    const legacy = 'fado_notify_legacy-token-made-before-storage-aliases'
    await insertToken(fado.running.db, {
      name: 'legacy-hooks',
      scope: 'notify',
      token_hash: hashToken(legacy),
    })
    const fromLegacy = await fado.api(
      'POST',
      '/api/notify',
      { Records: [record('s3:ObjectRemoved:Delete', 'ledger', 'payroll/2026-salaries.csv')] },
      legacy,
    )
    expect(fromLegacy.body).toMatchObject({ received: 1, applied: 0, refused: 1 })
    expect(
      (await fado.api('GET', '/api/objects?path=ledger/payroll/2026-salaries.csv')).status,
    ).toBe(200)

    // The deployment's own token: 1,000 records for one unknown bucket, one HeadBucket.
    const own = await createToken(fado, 'notify', 'own-hooks', 'site-minio')
    const heads = () => asked.get('HEAD /nowhere') ?? 0
    const before = heads()
    const one = await fado.api(
      'POST',
      '/api/notify',
      { Records: [record('s3:BucketCreated:*', 'nowhere')] },
      own,
    )
    expect(one.body).toMatchObject({ received: 1, applied: 0, refused: 0 })
    const afterOne = heads()
    const many = await fado.api(
      'POST',
      '/api/notify',
      { Records: Array.from({ length: 1_000 }, () => record('s3:BucketCreated:*', 'nowhere')) },
      own,
    )
    expect(many.body).toMatchObject({ received: 1_000, applied: 0, refused: 0 })
    const afterMany = heads()
    expect(afterOne - before).toBe(1)
    expect(afterMany - afterOne).toBe(1)
  }, 60_000)

  it('untracking takes out FaDO’s rule only', async () => {
    const res = await fado.api('DELETE', `/api/storage-deployments/${storageId}`)
    expect(res.status, res.text).toBe(204)
    expect((await rulesOn('ledger')).some((r) => r.arn === FADO_ARN)).toBe(false)
    await expectOperatorRulesIntact('ledger')
  }, 30_000)
})
