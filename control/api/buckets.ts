/**
 * /api/buckets: buckets with a master copy on one storage deployment and replica policy —
 * allowed zones, target replica count, or a manual list of replica locations (thesis §7.2, B.16).
 * Creating one makes the bucket on its master inside the transaction (a storage failure rolls the
 * row back); replicas follow through the reconciler. Deleting removes the master and its replicas.
 */
import { Hono } from 'hono'
import { z } from 'zod'
import type { Queryable } from '../db/client.js'
import {
  deleteBucket,
  getBucket,
  insertBucket,
  listBuckets,
  setBucketPolicies,
} from '../db/buckets.js'
import { getStorageDeployment, listStorageDeployments } from '../db/storage-deployments.js'
import { invalidField, notFound, storageFailed } from '../errors.js'
import type { ApiDeps } from './deps.js'
import { bucketName, id, parseBody, parseId, zones } from './validate.js'

const targetReplicaCount = z
  .number({ error: 'must be a whole number from 0 to 100' })
  .int({ error: 'must be a whole number from 0 to 100' })
  .min(0, { error: 'must be a whole number from 0 to 100' })
  .max(100, { error: 'must be a whole number from 0 to 100' })
const replicaLocations = z
  .array(id, { error: 'must be an array of storage deployment ids, or null' })
  .refine((ids) => new Set(ids).size === ids.length, { error: 'must not repeat an id' })
  .nullable()

const createBody = z.strictObject({
  name: bucketName,
  storage_id: id,
  zones: zones.default([]),
  target_replica_count: targetReplicaCount.default(0),
  replica_locations: replicaLocations.default(null),
})
const fixed = z.never({ error: 'cannot be changed; create a new bucket instead' })
const updateBody = z.strictObject({
  name: fixed.optional(),
  storage_id: fixed.optional(),
  zones: zones.optional(),
  target_replica_count: targetReplicaCount.optional(),
  replica_locations: replicaLocations.optional(),
})

async function checkLocations(
  q: Queryable,
  masterId: number,
  locations: number[] | null | undefined,
): Promise<void> {
  if (!locations) return
  const known = new Set((await listStorageDeployments(q)).map((s) => s.storage_id))
  locations.forEach((storageId, i) => {
    if (!known.has(storageId))
      throw invalidField(`replica_locations[${i}]`, `no storage deployment with id ${storageId}`)
    if (storageId === masterId)
      throw invalidField(`replica_locations[${i}]`, 'is the master copy’s deployment')
  })
}

export function bucketsApi({ db, storages, reconciler, publisher, log }: ApiDeps): Hono {
  return new Hono()
    .get('/', async (c) => c.json(await listBuckets(db)))
    .get('/:id', async (c) => {
      const bucketId = parseId(c.req.param('id'), 'bucket_id')
      const bucket = await getBucket(db, bucketId)
      if (!bucket) throw notFound('bucket', bucketId)
      return c.json(bucket)
    })
    .post('/', async (c) => {
      const input = await parseBody(c, createBody)
      if (!(await getStorageDeployment(db, input.storage_id))) {
        throw invalidField('storage_id', `no storage deployment with id ${input.storage_id}`)
      }
      await checkLocations(db, input.storage_id, input.replica_locations)
      const storage = await storages.get(input.storage_id)
      const bucketId = await db.transaction(async (tx) => {
        const bucketId = await insertBucket(tx, input)
        try {
          await storage.makeBucket(input.name) // an existing bucket there is imported as it is
        } catch (err) {
          throw storageFailed(`cannot create bucket ${input.name}`, err)
        }
        return bucketId
      })
      reconciler.schedule(bucketId)
      publisher.request()
      return c.json(await getBucket(db, bucketId), 201)
    })
    .put('/:id', async (c) => {
      const bucketId = parseId(c.req.param('id'), 'bucket_id')
      const input = await parseBody(c, updateBody)
      const bucket = await db.transaction(async (tx) => {
        const current = await getBucket(tx, bucketId)
        if (!current) throw notFound('bucket', bucketId)
        await checkLocations(tx, current.storage_id, input.replica_locations)
        await setBucketPolicies(tx, bucketId, input)
        return getBucket(tx, bucketId)
      })
      reconciler.schedule(bucketId)
      return c.json(bucket)
    })
    .delete('/:id', async (c) => {
      const bucketId = parseId(c.req.param('id'), 'bucket_id')
      const bucket = await getBucket(db, bucketId)
      if (!bucket) throw notFound('bucket', bucketId)
      try {
        await (await storages.get(bucket.storage_id)).removeBucket(bucket.name)
      } catch (err) {
        throw storageFailed(`cannot delete bucket ${bucket.name} from its master`, err)
      }
      const results = await Promise.allSettled(
        bucket.replicas.map(async (r) =>
          (await storages.get(r.storage_id)).removeBucket(bucket.name),
        ),
      )
      for (const r of results) {
        if (r.status === 'rejected')
          log.warn('replica copy could not be removed; its data stays', {
            bucket: bucket.name,
            error: r.reason,
          })
      }
      await db.transaction((tx) => deleteBucket(tx, bucketId))
      publisher.request()
      return c.body(null, 204)
    })
}
