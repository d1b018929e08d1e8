/**
 * /api/buckets: buckets with a master copy on one storage deployment and replica policy —
 * allowed zones, target replica count, or a manual list of replica locations (thesis §7.2, B.16).
 * Handlers parse, call the bucket service and answer.
 */
import { Hono } from 'hono'
import { z } from 'zod'
import { getBucket, listBuckets, type BucketRow } from '../db/buckets.js'
import { notFound } from '../lib/errors.js'
import { createBucket, removeBucket, checkBucketNow, updateBucket } from '../services/buckets.js'
import type { ApiDeps } from './deps.js'
import { bucketName, checkUnchanged, id, parseBody, parseId, readOnly, zones } from './validate.js'
import { bucketView } from './answers.js'
import { DATA_PATHS } from '../agents/route.js'

const targetReplicaCount = z
  .number({ error: 'must be a whole number from 0 to 100' })
  .int({ error: 'must be a whole number from 0 to 100' })
  .min(0, { error: 'must be a whole number from 0 to 100' })
  .max(100, { error: 'must be a whole number from 0 to 100' })
const replicaLocations = z
  .array(id, { error: 'must be an array of storage deployment ids, or null' })
  .refine((ids) => new Set(ids).size === ids.length, { error: 'must not repeat an id' })
  .nullable()

const dataPath = z
  .enum(DATA_PATHS, { error: `must be one of ${DATA_PATHS.join(', ')}` })
  .describe(
    "where the bucket's bytes may travel: 'any' (through agents where they run, else through control) or 'agents' (never through control: replicas wait for an agent)",
  )

export const createBody = z.strictObject({
  name: bucketName,
  storage_id: id,
  zones: zones.default([]),
  target_replica_count: targetReplicaCount.default(0),
  replica_locations: replicaLocations.default(null),
  data_path: dataPath.default('any'),
})
/**
 * The item as GET gives it is accepted: fixed fields unchanged; what FaDO reports (replica status,
 * object counters) is ignored.
 */
export const updateBody = z.strictObject({
  bucket_id: readOnly,
  name: readOnly,
  storage_id: readOnly,
  replicas: readOnly,
  object_count: readOnly,
  total_bytes: readOnly,
  demand_by_zone: readOnly,
  zones: zones.optional(),
  target_replica_count: targetReplicaCount.optional(),
  replica_locations: replicaLocations.optional(),
  data_path: dataPath.optional(),
})
const FIXED = ['bucket_id', 'name', 'storage_id'] as const

/** A bucket as the API shows it: its row, and the demand the edges reported for it. */
export const bucketWithDemand =
  ({ traffic }: Pick<ApiDeps, 'traffic'>) =>
  (row: BucketRow) =>
    bucketView(row, traffic?.demand(row.name) ?? [])

export function bucketsApi(deps: ApiDeps): Hono {
  const { db } = deps
  const view = bucketWithDemand(deps)
  return new Hono()
    .get('/', async (c) => c.json((await listBuckets(db)).map(view)))
    .get('/:id', async (c) => {
      const bucketId = parseId(c.req.param('id'), 'bucket_id')
      const bucket = await getBucket(db, bucketId)
      if (!bucket) throw notFound('bucket', bucketId)
      return c.json(view(bucket))
    })
    .post('/', async (c) => {
      const input = await parseBody(c, createBody)
      return c.json(view(await createBucket(deps, input)), 201)
    })
    .put('/:id', async (c) => {
      const bucketId = parseId(c.req.param('id'), 'bucket_id')
      const input = await parseBody(c, updateBody)
      const bucket = await updateBucket(deps, bucketId, input, (current) =>
        checkUnchanged(input, { ...current }, FIXED, 'create a new bucket instead'),
      )
      return c.json(view(bucket))
    })
    .post('/:id/sync', async (c) => {
      const bucket = await checkBucketNow(deps, parseId(c.req.param('id'), 'bucket_id'))
      return c.json(view(bucket), 202)
    })
    .delete('/:id', async (c) => {
      await removeBucket(deps, parseId(c.req.param('id'), 'bucket_id'))
      return c.body(null, 204)
    })
}
