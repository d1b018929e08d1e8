/**
 * Buckets: create on the master then record, update policy, delete everywhere. Storage is called
 * before or after the database transaction, never inside it; a storage failure changes nothing
 * in the database.
 */
import { IDENTITY_BUCKET } from '../storage/identity.js'
import type { Queryable } from '../db/client.js'
import {
  deleteBucket,
  getBucket,
  getBucketByName,
  insertBucket,
  setBucketPolicies,
  type BucketPolicyInput,
  type BucketRow,
} from '../db/buckets.js'
import { getStorageDeployment, listStorageDeployments } from '../db/storage-deployments.js'
import { conflict, invalidField, notFound, storageFailed } from '../lib/errors.js'
import { removeCopies } from './remove-copies.js'
import type { ServiceDeps } from './deps.js'
import type { DemandSettings } from '../replication/demand-plan.js'

export interface NewBucket {
  name: string
  storage_id: number
  zones: string[]
  target_replica_count: number
  replica_locations: number[] | null
  data_path: 'any' | 'agents'
  demand: DemandSettings | null
}

async function checkLocations(
  q: Queryable,
  masterId: number,
  locations: readonly number[] | null | undefined,
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

export async function createBucket(deps: ServiceDeps, input: NewBucket): Promise<BucketRow> {
  const { db, storages, changes } = deps
  if (input.name === IDENTITY_BUCKET)
    throw invalidField('name', `'${IDENTITY_BUCKET}' is FaDO's own (it holds S3 servers' identity)`)
  if (!(await getStorageDeployment(db, input.storage_id)))
    throw invalidField('storage_id', `no storage deployment with id ${input.storage_id}`)
  await checkLocations(db, input.storage_id, input.replica_locations)
  if (await getBucketByName(db, input.name)) throw conflict('name', 'already in use')
  try {
    // An existing bucket of that name on the master is imported as it is.
    await (await storages.get(input.storage_id)).makeBucket(input.name)
  } catch (err) {
    throw storageFailed(`cannot create bucket ${input.name}`, err)
  }
  const bucketId = await changes.commit(async (tx, changed) => {
    const id = await insertBucket(tx, input)
    // storage: its deployment may now hold a master (the change feed asks it for object events).
    changed({ reconcile: [id], routes: true, storage: true })
    return id
  })
  return (await getBucket(db, bucketId)) as BucketRow
}

export async function updateBucket(
  deps: ServiceDeps,
  bucketId: number,
  input: BucketPolicyInput,
  check: (current: BucketRow) => void = () => {},
): Promise<BucketRow> {
  return deps.changes.commit(async (tx, changed) => {
    const current = await getBucket(tx, bucketId)
    if (!current) throw notFound('bucket', bucketId)
    check(current)
    await checkLocations(tx, current.storage_id, input.replica_locations)
    await setBucketPolicies(tx, bucketId, input)
    changed({ reconcile: [bucketId] })
    return (await getBucket(tx, bucketId)) as BucketRow
  })
}

/**
 * Asks for a full pass over the bucket now rather than at the next periodic one: master, replicas
 * and what FaDO copied are compared and every difference is repaired. Runs in the background.
 */
export async function checkBucketNow(deps: ServiceDeps, bucketId: number): Promise<BucketRow> {
  const bucket = await getBucket(deps.db, bucketId)
  if (!bucket) throw notFound('bucket', bucketId)
  await deps.changes.record({ reconcile: [bucketId] })
  return bucket
}

/** Removes the master copy (a failure there changes nothing), then replicas, then the record. */
export async function removeBucket(deps: ServiceDeps, bucketId: number): Promise<void> {
  const { db, storages, changes } = deps
  const bucket = await getBucket(db, bucketId)
  if (!bucket) throw notFound('bucket', bucketId)
  try {
    await (await storages.get(bucket.storage_id)).removeBucket(bucket.name)
  } catch (err) {
    throw storageFailed(`cannot delete bucket ${bucket.name} from its master`, err)
  }
  await removeCopies(
    deps,
    bucket.replicas.map((r) => ({ storage_id: r.storage_id, bucket: bucket.name })),
    { deleting: 'bucket' },
  )
  await changes.commit(async (tx, changed) => {
    await deleteBucket(tx, bucketId)
    changed({ routes: true, storage: true })
  })
}
