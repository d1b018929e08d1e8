/**
 * Tracking and untracking storage deployments (thesis §5.3.1). Tracking talks to the deployment
 * first — reachable, credentials valid, identity learnt — and only then records it, importing the
 * buckets already there; untracking removes FaDO's own copies first (planUntrack), then the
 * record. Storage calls happen outside the transaction; a storage failure changes nothing.
 */
import { importBucket, listBuckets } from '../db/buckets.js'
import { getCluster } from '../db/clusters.js'
import {
  deleteStorageDeployment,
  findStorageByDeploymentId,
  getStorageDeployment,
  insertStorageDeployment,
  listStorageDeployments,
  setStorageSqsArn,
  type StorageDeploymentRow,
} from '../db/storage-deployments.js'
import { conflict, invalidField, notFound, storageFailed } from '../lib/errors.js'
import { IDENTITY_BUCKET } from '../storage/identity.js'
import { type S3Storage } from '../storage/s3.js'
import { type StorageAddressing, type StorageKind } from '../storage/types.js'
import { planUntrack } from '../replication/untrack-plan.js'
import { configureWebhook, pickWebhookArn } from '../changes/webhook-target.js'
import { deleteTokenByName, insertToken } from '../db/api-tokens.js'
import { hashToken, newTokenSecret } from '../auth/tokens.js'
import { removeCopies } from './remove-copies.js'
import type { ServiceDeps } from './deps.js'
import { notifyOnChanges, stopNotifying } from '../storage/bucket-notifications.js'
import { claimMarker, identify } from '../storage/identity.js'

export interface NewStorage {
  alias: string
  cluster_id: number
  endpoint: string
  use_ssl: boolean
  access_key: string
  secret_key: string
  management_url: string
  kind: StorageKind
  region: string
  addressing: StorageAddressing
  /**
   * kind 'minio' without a webhook target for FaDO: add one (admin config API, one server
   * restart). Default true; false leaves the server untouched.
   */
  configure_webhook?: boolean | undefined
}

export async function trackStorage(
  deps: ServiceDeps,
  input: NewStorage,
): Promise<StorageDeploymentRow> {
  const { db, storages, changes, log } = deps
  if (!(await getCluster(db, input.cluster_id)))
    throw invalidField('cluster_id', `no cluster with id ${input.cluster_id}`)
  const existing = await listStorageDeployments(db)
  if (existing.some((s) => s.alias === input.alias)) throw conflict('alias', 'already in use')
  if (existing.some((s) => s.endpoint === input.endpoint))
    throw conflict('endpoint', 'already tracked')

  const storage = storages.connect(input)
  let deploymentId: string
  let identities: string[]
  let sqsArns: string[]
  let buckets: string[]
  try {
    ;({ deploymentId, identities, sqsArns } = await identify(storage))
    buckets = (await storage.listBuckets()).filter((b) => b !== IDENTITY_BUCKET)
  } catch (err) {
    throw storageFailed(`cannot track ${input.endpoint}`, err)
  }

  const { row, imported } = await changes.commit(async (tx, changed) => {
    let same: StorageDeploymentRow | undefined
    for (const id of identities) same ??= await findStorageByDeploymentId(tx, id)
    if (same)
      throw conflict(
        'endpoint',
        `this ${storage.capabilities.adminApi ? 'MinIO deployment' : 'storage server'} is already tracked as '${same.alias}'`,
      )
    const row = await insertStorageDeployment(tx, {
      ...input,
      secret_key: storages.seal(input.secret_key),
      minio_deployment_id: deploymentId,
      sqs_arn: pickWebhookArn(sqsArns),
    })
    const imported: number[] = []
    for (const bucket of buckets) {
      const bucketId = await importBucket(tx, bucket, row.storage_id)
      if (bucketId !== undefined) imported.push(bucketId)
    }
    // A new deployment may be where replicas of any bucket now belong: each bucket's plan is
    // checked, and a bucket found on it for the first time is imported (indexed by its pass).
    changed({ storage: true, reconcile: imported, replan: true, routes: true })
    return { row, imported }
  })
  // A marker an earlier 's3' tracking left names this server no more: from now on it is its id.
  if (identities.some((id) => id !== deploymentId)) {
    try {
      await claimMarker(storage, deploymentId)
    } catch (err) {
      log.warn('cannot update the storage identity marker', { alias: row.alias, error: err })
    }
  }
  log.info('tracking storage deployment', {
    alias: row.alias,
    endpoint: row.endpoint,
    imported_buckets: imported.length,
    webhook: row.sqs_arn || 'none',
  })
  if (row.sqs_arn || !storage.capabilities.adminApi) return row
  const notifyUrl = input.configure_webhook === false ? undefined : deps.notifyUrl?.()
  if (notifyUrl) {
    try {
      return await setUpWebhook(deps, row, storage, notifyUrl, imported)
    } catch (err) {
      log.warn('cannot configure a webhook target on the storage: it is tracked without one', {
        alias: row.alias,
        error: err,
      })
      return row
    }
  }
  log.warn(
    'storage has no webhook target for FaDO: changes made directly on it reach replicas through its event stream (batched by MinIO) and the periodic pass',
    {
      alias: row.alias,
      why: input.configure_webhook === false ? 'configure_webhook is false' : 'no --notify-url',
    },
  )
  return row
}

/** The notify-scope token a storage deployment's webhook target presents. */
const webhookTokenName = (storageId: number) => `storage-${storageId}-webhook`

/**
 * Gives a tracked MinIO a webhook target for FaDO (changes/webhook-target.ts) with a notify token of its
 * own, then subscribes its master buckets. A failure revokes the token and is thrown: the
 * deployment stays as it was (event stream and periodic pass).
 */
async function setUpWebhook(
  deps: ServiceDeps,
  row: StorageDeploymentRow,
  storage: S3Storage,
  notifyUrl: string,
  masterBuckets: number[],
): Promise<StorageDeploymentRow> {
  const { changes, log } = deps
  const token = newTokenSecret('notify')
  const name = webhookTokenName(row.storage_id)
  await changes.commit(async (tx, changed) => {
    await deleteTokenByName(tx, name)
    await insertToken(tx, {
      name,
      scope: 'notify',
      token_hash: hashToken(token),
      storage_alias: row.alias,
    })
    // A token this replaces is refused at once, in every control process.
    changed({ tokens: true })
  })
  const started = Date.now()
  try {
    const arn = await configureWebhook(storage, { endpoint: notifyUrl, token })
    await changes.commit(async (tx, changed) => {
      await setStorageSqsArn(tx, row.storage_id, arn)
      changed({ storage: true, reconcile: masterBuckets })
    })
    // Subscribed here and now, not left to the next pass: a pass that began while the server
    // restarted saw no target yet, and the next one may be a while off.
    const names = new Map((await listBuckets(deps.db)).map((b) => [b.bucket_id, b.name]))
    for (const id of masterBuckets) {
      const bucket = names.get(id)
      if (!bucket) continue
      try {
        await notifyOnChanges(storage, bucket, arn)
      } catch (err) {
        log.warn('cannot set bucket notifications yet; the next pass will', {
          alias: row.alias,
          bucket,
          error: err,
        })
      }
    }
    log.info('configured a webhook target for FaDO on the storage (server restarted once)', {
      alias: row.alias,
      arn,
      endpoint: notifyUrl,
      ms: Date.now() - started,
    })
    return { ...row, sqs_arn: arn }
  } catch (err) {
    await changes.commit(async (tx, changed) => {
      await deleteTokenByName(tx, name)
      changed({ tokens: true })
    })
    throw err
  }
}

/**
 * Configures FaDO's webhook on a MinIO tracked without one (tracked with configure_webhook false,
 * or before FaDO did this): what tracking does, on request. Done already: nothing to do.
 */
export async function configureStorageWebhook(
  deps: ServiceDeps,
  storageId: number,
): Promise<StorageDeploymentRow> {
  const { db, storages } = deps
  const row = await getStorageDeployment(db, storageId)
  if (!row) throw notFound('storage deployment', storageId)
  if (row.sqs_arn) return row
  const storage = await storages.get(storageId)
  if (!storage.capabilities.adminApi)
    throw conflict('kind', `a '${row.kind}' server has no webhook targets; FaDO lists its masters`)
  const notifyUrl = deps.notifyUrl?.()
  if (!notifyUrl)
    throw conflict('notify_url', 'FaDO does not know where MinIO can reach it: set --notify-url')
  const masters = (await listBuckets(db)).filter((b) => b.storage_id === storageId)
  try {
    return await setUpWebhook(
      deps,
      row,
      storage,
      notifyUrl,
      masters.map((b) => b.bucket_id),
    )
  } catch (err) {
    throw storageFailed(`cannot configure a webhook on ${row.alias}`, err)
  }
}

export async function untrackStorage(
  deps: ServiceDeps,
  storageId: number,
  deleteMasterData: boolean,
): Promise<void> {
  const { db, storages, changes } = deps
  const row = await getStorageDeployment(db, storageId)
  if (!row) throw notFound('storage deployment', storageId)
  const buckets = await listBuckets(db)
  const plan = planUntrack(buckets, storageId, deleteMasterData)
  await removeCopies(deps, plan.removals, { untracking: row.alias })
  if (!deleteMasterData && row.sqs_arn) await unsubscribeBuckets(deps, row, buckets)
  await changes.commit(async (tx, changed) => {
    await deleteStorageDeployment(tx, storageId)
    await deleteTokenByName(tx, webhookTokenName(storageId))
    changed({ storage: true, reconcile: plan.affected, routes: true, tokens: true })
  })
  storages.forget(storageId)
}

/** Takes FaDO's notification rule out of the master buckets it leaves on a server; the rest stays. */
async function unsubscribeBuckets(
  deps: ServiceDeps,
  row: StorageDeploymentRow,
  buckets: readonly { name: string; storage_id: number }[],
): Promise<void> {
  const storage = await deps.storages.get(row.storage_id)
  for (const bucket of buckets.filter((b) => b.storage_id === row.storage_id)) {
    try {
      await stopNotifying(storage, bucket.name)
    } catch (err) {
      deps.log.warn("cannot take FaDO's notification rule off a bucket it no longer tracks", {
        alias: row.alias,
        bucket: bucket.name,
        error: err,
      })
    }
  }
}
