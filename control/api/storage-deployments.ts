/**
 * /api/storage-deployments: track and untrack MinIO deployments (thesis §5.3.1).
 * Tracking verifies first — reachable, credentials valid, deployment id learned — then checks and
 * inserts in one transaction, importing the buckets already on it. Any failure changes nothing
 * (502 with the reason for storage failures). The secret key is write-only.
 */
import { Hono } from 'hono'
import { z } from 'zod'
import { getCluster } from '../db/clusters.js'
import { importBucket, listBuckets } from '../db/buckets.js'
import {
  deleteStorageDeployment,
  findStorageByDeploymentId,
  getStorageDeployment,
  insertStorageDeployment,
  listStorageDeployments,
} from '../db/storage-deployments.js'
import { conflict, invalidField, notFound, storageFailed } from '../errors.js'
import { S3Storage } from '../storage/s3.js'
import { pickWebhookArn } from '../storage/webhook.js'
import type { ApiDeps } from './deps.js'
import { endpoint, httpUrl, id, name, parseBody, parseId } from './validate.js'

const createBody = z.strictObject({
  alias: name,
  cluster_id: id,
  endpoint,
  use_ssl: z.boolean({ error: 'must be true or false' }).default(false),
  access_key: z.string({ error: 'must be a string' }).min(1, { error: 'must not be empty' }),
  secret_key: z.string({ error: 'must be a string' }).min(1, { error: 'must not be empty' }),
  management_url: z.union([z.literal(''), httpUrl]).default(''),
})

export function storageDeploymentsApi({
  db,
  storages,
  reconciler,
  changeFeed,
  publisher,
  log,
}: ApiDeps): Hono {
  return new Hono()
    .get('/', async (c) => c.json(await listStorageDeployments(db)))
    .get('/:id', async (c) => {
      const storageId = parseId(c.req.param('id'), 'storage_id')
      const row = await getStorageDeployment(db, storageId)
      if (!row) throw notFound('storage deployment', storageId)
      return c.json(row)
    })
    .post('/', async (c) => {
      const input = await parseBody(c, createBody)
      if (!(await getCluster(db, input.cluster_id)))
        throw invalidField('cluster_id', `no cluster with id ${input.cluster_id}`)
      const existing = await listStorageDeployments(db)
      if (existing.some((s) => s.alias === input.alias)) throw conflict('alias', 'already in use')
      if (existing.some((s) => s.endpoint === input.endpoint))
        throw conflict('endpoint', 'already tracked')

      // Talk to the deployment before touching the database: reachable, credentials, identity.
      const storage = new S3Storage(input)
      let deploymentId: string
      let sqsArns: string[]
      let buckets: string[]
      try {
        ;({ deploymentId, sqsArns } = await storage.serverInfo())
        buckets = await storage.listBuckets()
      } catch (err) {
        throw storageFailed(`cannot track ${input.endpoint}`, err)
      }

      const { row, imported } = await db.transaction(async (tx) => {
        const same = await findStorageByDeploymentId(tx, deploymentId)
        if (same)
          throw conflict('endpoint', `this MinIO deployment is already tracked as '${same.alias}'`)
        const row = await insertStorageDeployment(tx, {
          ...input,
          minio_deployment_id: deploymentId,
          sqs_arn: pickWebhookArn(sqsArns),
        })
        const imported: number[] = []
        for (const bucket of buckets) {
          const bucketId = await importBucket(tx, bucket, row.storage_id)
          if (bucketId !== undefined) imported.push(bucketId)
        }
        return { row, imported }
      })
      log.info('tracking storage deployment', {
        alias: row.alias,
        endpoint: row.endpoint,
        imported_buckets: imported.length,
        webhook: row.sqs_arn || 'none',
      })
      if (!row.sqs_arn) {
        log.warn(
          'storage has no webhook target for FaDO: changes made directly on it reach replicas through its event stream (batched by MinIO) and the periodic pass; for sub-second replication configure MINIO_NOTIFY_WEBHOOK_*_FADO (see README)',
          { alias: row.alias },
        )
      }
      await changeFeed.refresh()
      for (const bucketId of imported) reconciler.schedule(bucketId)
      publisher.request()
      return c.json(row, 201)
    })
    .delete('/:id', async (c) => {
      const storageId = parseId(c.req.param('id'), 'storage_id')
      const deleteData = c.req.query('delete_data') === 'true'
      const row = await getStorageDeployment(db, storageId)
      if (!row) throw notFound('storage deployment', storageId)
      const buckets = await listBuckets(db)
      const storage = await storages.get(storageId)
      // FaDO's own copies go: replicas on this deployment, and replicas elsewhere of buckets
      // mastered here (no longer tracked). Master data stays unless delete_data=true.
      const cleanups: Promise<unknown>[] = []
      const affected: number[] = []
      for (const bucket of buckets) {
        if (bucket.replicas.some((r) => r.storage_id === storageId)) {
          cleanups.push(storage.removeBucket(bucket.name))
          affected.push(bucket.bucket_id)
        }
        if (bucket.storage_id === storageId) {
          for (const r of bucket.replicas)
            cleanups.push(storages.get(r.storage_id).then((s) => s.removeBucket(bucket.name)))
          if (deleteData) cleanups.push(storage.removeBucket(bucket.name))
        }
      }
      for (const result of await Promise.allSettled(cleanups)) {
        if (result.status === 'rejected')
          log.warn('could not remove a copy while untracking; its data stays', {
            storage: row.alias,
            error: result.reason,
          })
      }
      await db.transaction((tx) => deleteStorageDeployment(tx, storageId))
      storages.forget(storageId)
      await changeFeed.refresh()
      for (const bucketId of affected) reconciler.schedule(bucketId)
      publisher.request()
      return c.body(null, 204)
    })
}
