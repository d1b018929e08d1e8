/**
 * Master buckets push their changes to FaDO's webhook target when their MinIO deployment has one
 * (thesis §5.3.3): the target's ARN is learnt from the server info — looked for again at most
 * once a minute, since MinIO loads its targets shortly after it starts answering — and each
 * master bucket is subscribed to it once per process.
 */
import type { Queryable } from '../db/client.js'
import type { BucketRow } from '../db/buckets.js'
import {
  getStorageDeployment,
  setStorageSqsArn,
  type StorageDeploymentRow,
} from '../db/storage-deployments.js'
import type { Logger } from '../../edge/log.js'
import type { S3Storage } from '../storage/s3.js'
import { pickWebhookArn } from './webhook-target.js'
import { serverInfo } from '../storage/admin-api.js'
import { notifyOnChanges } from '../storage/bucket-notifications.js'

const ARN_RECHECK_MS = 60_000

export class MasterNotifications {
  /** "storageId/bucket" subscribed in this process. */
  readonly #subscribed = new Set<string>()
  /** When each deployment without a webhook target was last asked for one. */
  readonly #arnChecked = new Map<number, number>()

  constructor(
    private readonly db: Queryable,
    private readonly log: Logger,
  ) {}

  /** Subscribes the bucket on its master, if the master has a webhook target for FaDO. */
  async ensure(bucket: BucketRow, row: StorageDeploymentRow, master: S3Storage): Promise<void> {
    const key = `${bucket.storage_id}/${bucket.name}`
    if (this.#subscribed.has(key) || !master.capabilities.changeEvents) return
    const arn = await this.#webhookArn(row, master)
    if (!arn) return
    try {
      await notifyOnChanges(master, bucket.name, arn)
      this.#subscribed.add(key)
    } catch (err) {
      this.log.warn('cannot set bucket notifications; relying on the event stream', {
        bucket: bucket.name,
        error: err,
      })
    }
  }

  async #webhookArn(row: StorageDeploymentRow, storage: S3Storage): Promise<string> {
    if (row.sqs_arn) return row.sqs_arn
    // The row may be older than a webhook FaDO has just configured (a pass started before).
    const fresh = (await getStorageDeployment(this.db, row.storage_id))?.sqs_arn
    if (fresh) return fresh
    const last = this.#arnChecked.get(row.storage_id) ?? 0
    if (Date.now() - last < ARN_RECHECK_MS) return ''
    this.#arnChecked.set(row.storage_id, Date.now())
    try {
      const arn = pickWebhookArn((await serverInfo(storage)).sqsArns)
      if (arn) {
        await setStorageSqsArn(this.db, row.storage_id, arn)
        this.log.info('storage webhook target found', { storage: row.alias, arn })
      }
      return arn
    } catch {
      return ''
    }
  }
}
