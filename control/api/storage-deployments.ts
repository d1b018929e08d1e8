/**
 * /api/storage-deployments: track and untrack storage deployments (thesis §5.3.1) — MinIO, or any
 * S3-compatible server as kind 's3'. The secret key is write-only. Handlers parse, call the storage service and answer.
 */
import { Hono } from 'hono'
import { z } from 'zod'
import { getStorageDeployment, listStorageDeployments } from '../db/storage-deployments.js'
import { invalidField, notFound } from '../lib/errors.js'
import {
  configureStorageWebhook,
  trackStorage,
  untrackStorage,
} from '../services/storage-deployments.js'
import type { ApiDeps } from './deps.js'
import { endpoint, httpUrl, id, name, parseBody, parseId } from './validate.js'
import { DEFAULT_REGION, STORAGE_ADDRESSING, STORAGE_KINDS } from '../storage/types.js'
import { storageView } from './answers.js'

const secret = z
  .string({ error: 'must be a string' })
  .min(1, { error: 'must not be empty' })
  .max(1024, { error: 'at most 1024 characters' })

export const createBody = z.strictObject({
  alias: name,
  cluster_id: id,
  endpoint,
  use_ssl: z.boolean({ error: 'must be true or false' }).default(false),
  access_key: secret,
  secret_key: secret,
  management_url: z.union([z.literal(''), httpUrl]).default(''),
  kind: z
    .enum(STORAGE_KINDS, { error: "must be 'minio' or 's3'" })
    .default('minio')
    .describe(
      "'minio' (admin credentials: identity, webhooks, event stream) or 's3' (any S3 server, plain S3 rights)",
    ),
  region: z
    .string({ error: 'must be a string' })
    .regex(/^[a-z0-9][a-z0-9-]{0,31}$/, {
      error: 'must be a region name such as us-east-1 (lower-case letters, digits, -)',
    })
    .default(DEFAULT_REGION)
    .describe('the region requests are signed for (AWS S3, or a server with a region set)'),
  addressing: z
    .enum(STORAGE_ADDRESSING, { error: "must be 'path' or 'virtual'" })
    .default('path')
    .describe("'path' (host/bucket/key) or 'virtual' (bucket.host/key: kind 's3' only)"),
  configure_webhook: z
    .boolean({ error: 'must be true or false' })
    .default(true)
    .describe(
      "kind 'minio': when the server has no webhook target for FaDO, add one through MinIO's admin config API (the server restarts once) so direct writes reach replicas within a second; false leaves the server's configuration alone",
    ),
})

export function storageDeploymentsApi(deps: ApiDeps): Hono {
  const { db } = deps
  return new Hono()
    .get('/', async (c) => c.json((await listStorageDeployments(db)).map(storageView)))
    .get('/:id', async (c) => {
      const storageId = parseId(c.req.param('id'), 'storage_id')
      const row = await getStorageDeployment(db, storageId)
      if (!row) throw notFound('storage deployment', storageId)
      return c.json(storageView(row))
    })
    .post('/', async (c) => {
      const input = await parseBody(c, createBody)
      // MinIO's admin API and event stream are addressed by path.
      if (input.addressing === 'virtual' && input.kind === 'minio')
        throw invalidField('addressing', "'virtual' is for kind 's3'; MinIO is addressed by path")
      return c.json(storageView(await trackStorage(deps, input)), 201)
    })
    .post('/:id/webhook', async (c) => {
      const storageId = parseId(c.req.param('id'), 'storage_id')
      return c.json(storageView(await configureStorageWebhook(deps, storageId)))
    })
    .delete('/:id', async (c) => {
      const storageId = parseId(c.req.param('id'), 'storage_id')
      const deleteData = c.req.query('delete_data')
      if (deleteData !== undefined && deleteData !== 'true' && deleteData !== 'false')
        throw invalidField('delete_data', "must be 'true' or 'false'")
      await untrackStorage(deps, storageId, deleteData === 'true')
      return c.body(null, 204)
    })
}
