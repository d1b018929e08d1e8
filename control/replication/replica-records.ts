/**
 * FaDO's records of what it copied to one replica of one bucket (db/replica-objects.ts), read a key
 * range at a time beside the listings (or only its digest) and written in batches as a sync goes. Repairs — replica
 * objects changed or added behind FaDO's back — are counted on the replica's row, in metrics and in
 * one log line per sync.
 */
import type { Logger } from '../../edge/log.js'
import type { Queryable } from '../db/client.js'
import {
  addRepairs,
  deleteReplicaObjects,
  getReplicaObject,
  listReplicaObjectsRange,
  replicaObjectsRangeDigest,
  upsertReplicaObjects,
  type ReplicaObjectRow,
} from '../db/replica-objects.js'
import type { ObjectEntry } from '../storage/types.js'
import type { CopyRecord } from './diff.js'
import type { KeyRange } from './digest.js'
import type { ReplicationObserver } from './observer.js'

const BATCH = 1_000

export type KeyedRecord = CopyRecord & { key: string }

export class ReplicaRecords {
  readonly #upserts: ReplicaObjectRow[] = []
  readonly #deletes: string[] = []
  readonly #repaired: string[] = []
  #repairCount = 0

  constructor(
    private readonly db: Queryable,
    private readonly bucket: { bucket_id: number; name: string },
    private readonly storage: { storage_id: number; alias: string },
    private readonly report: { log: Logger; observer: ReplicationObserver },
  ) {}

  /** How many records lie in a key range, and their digest. */
  digest(range: KeyRange): Promise<{ count: number; digest: string }> {
    return replicaObjectsRangeDigest(this.db, this.bucket.bucket_id, this.storage.storage_id, range)
  }

  /** The records in a key range, in S3 key order. */
  async inRange(range: KeyRange): Promise<KeyedRecord[]> {
    const rows = await listReplicaObjectsRange(
      this.db,
      this.bucket.bucket_id,
      this.storage.storage_id,
      range,
    )
    return rows.map((row) => ({ ...row, key: row.name }))
  }

  async get(key: string): Promise<CopyRecord | undefined> {
    return getReplicaObject(this.db, this.bucket.bucket_id, this.storage.storage_id, key)
  }

  /** `source` reached the replica as `replicaEtag` (null: the replica did not say). */
  async copied(key: string, source: ObjectEntry, replicaEtag: string | null): Promise<void> {
    this.#upserts.push({
      name: key,
      source_etag: source.etag,
      source_size: source.size,
      source_mtime: source.last_modified,
      replica_etag: replicaEtag,
    })
    if (this.#upserts.length >= BATCH) await this.#flushUpserts()
  }

  async removed(key: string): Promise<void> {
    this.#deletes.push(key)
    if (this.#deletes.length >= BATCH) await this.#flushDeletes()
  }

  repaired(key: string): void {
    this.#repairCount++
    if (this.#repaired.length < 5) this.#repaired.push(key)
  }

  /** Writes what is pending, and reports the repairs since the last flush. */
  async flush(): Promise<void> {
    await this.#flushUpserts()
    await this.#flushDeletes()
    if (this.#repairCount === 0) return
    const count = this.#repairCount
    const examples = this.#repaired.splice(0)
    this.#repairCount = 0
    await addRepairs(this.db, this.bucket.bucket_id, this.storage.storage_id, count)
    this.report.observer.repaired(this.bucket.name, this.storage.alias, count)
    this.report.log.warn('repaired replica objects changed behind FaDO’s back (master wins)', {
      bucket: this.bucket.name,
      storage: this.storage.alias,
      objects: count,
      keys: examples,
    })
  }

  async #flushUpserts(): Promise<void> {
    const rows = this.#upserts.splice(0)
    await upsertReplicaObjects(this.db, this.bucket.bucket_id, this.storage.storage_id, rows)
  }

  async #flushDeletes(): Promise<void> {
    const names = this.#deletes.splice(0)
    await deleteReplicaObjects(this.db, this.bucket.bucket_id, this.storage.storage_id, names)
  }
}
