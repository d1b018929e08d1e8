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
import {
  between,
  bucketName,
  checkUnchanged,
  id,
  parseBody,
  parseId,
  readOnly,
  zones,
} from './validate.js'
import { bucketView } from './answers.js'
import { DATA_PATHS } from '../agents/route.js'
import { DEMAND_DEFAULTS } from '../replication/demand-plan.js'
import { SLOT_MS, SLOTS } from '../observe/traffic.js'

/** The longest demand window: what the traffic series hold. */
const WINDOW_MAX_S = (SLOT_MS * SLOTS) / 1000

const targetReplicaCount = between(0, 100)
const replicaLocations = z
  .array(id, { error: 'must be an array of storage deployment ids, or null' })
  .refine((ids) => new Set(ids).size === ids.length, { error: 'must not repeat an id' })
  .nullable()

const dataPath = z
  .enum(DATA_PATHS, { error: `must be one of ${DATA_PATHS.join(', ')}` })
  .describe(
    "where the bucket's bytes may travel: 'any' (through agents where they run, else through control) or 'agents' (never through control: replicas wait for an agent)",
  )

/** Replicas on demand: every field has a default (DEMAND_DEFAULTS); null turns it off. */
const demand = z
  .strictObject({
    enabled: z.boolean({ error: 'must be true or false' }).default(DEMAND_DEFAULTS.enabled),
    min_rate_per_min: between(0.1, 1_000_000, false)
      .default(DEMAND_DEFAULTS.min_rate_per_min)
      .describe(
        'invocations a minute from a zone, served outside it, that make a replica there worth it; each GiB of the bucket adds as much again',
      ),
    window_s: between(10, WINDOW_MAX_S)
      .default(DEMAND_DEFAULTS.window_s)
      .describe('seconds the rate is measured over'),
    ttl_s: between(10, 7 * 86_400)
      .default(DEMAND_DEFAULTS.ttl_s)
      .describe(
        "seconds a replica made on demand stays after its zone's demand fell under half the threshold",
      ),
    max_replicas: between(0, 16)
      .default(DEMAND_DEFAULTS.max_replicas)
      .describe('replicas on demand the bucket may have at once'),
    size_unit_bytes: between(1024 ** 2, 2 ** 50)
      .default(DEMAND_DEFAULTS.size_unit_bytes)
      .describe(
        'each this many bytes of the bucket adds min_rate_per_min to the rate a replica needs',
      ),
  })
  .nullable()
  .describe('replicas where invocations come from (README "Replicas on demand"); null = off')

export const createBody = z.strictObject({
  name: bucketName,
  storage_id: id,
  zones: zones.default([]),
  target_replica_count: targetReplicaCount.default(0),
  replica_locations: replicaLocations.default(null),
  data_path: dataPath.default('any'),
  demand: demand.default(null),
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
  demand_held: readOnly,
  demand_decisions: readOnly,
  zones: zones.optional(),
  target_replica_count: targetReplicaCount.optional(),
  replica_locations: replicaLocations.optional(),
  data_path: dataPath.optional(),
  demand: demand.optional(),
})
const FIXED = ['bucket_id', 'name', 'storage_id'] as const

/** A bucket as the API shows it: its row, and the demand the edges reported for it. */
export const bucketWithDemand =
  ({ traffic, demandHeld }: Pick<ApiDeps, 'traffic' | 'demandHeld'>) =>
  (row: BucketRow) =>
    bucketView(
      row,
      traffic?.demand(row.name, row.demand?.window_s) ?? [],
      row.demand?.enabled ? (demandHeld?.(row.bucket_id) ?? []) : [],
    )

export function bucketsApi(deps: ApiDeps): Hono {
  const { db } = deps
  const view = bucketWithDemand(deps)
  return new Hono()
    .get('/', async (c) => c.json((await listBuckets(deps.reads ?? db)).map(view)))
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
