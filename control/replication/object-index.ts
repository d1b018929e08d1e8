/**
 * Keeps the objects table equal to what a bucket's master holds, one key range at a time as a
 * full pass lists the master: the range's digest in the table is compared with that of the
 * master's entries, and only a range that differs is read (in pages, merge-joined with the entries)
 * and its differences written. An unchanged bucket costs one small query per listing page.
 */
import type { Queryable } from '../db/client.js'
import {
  deleteObjects,
  listObjectsRange,
  objectsRangeDigest,
  upsertObjects,
  type ObjectEntryInput,
} from '../db/objects.js'
import type { ObjectEntry } from '../storage/types.js'
import { giveWay } from '../lib/concurrency.js'
import { diffListings } from './diff.js'
import { indexDigest, type KeyRange } from './digest.js'

export class ObjectIndex {
  constructor(
    private readonly db: Queryable,
    private readonly bucketId: number,
  ) {}

  /** Makes the table's rows in `range` those of `master` (the master's entries in that range). */
  async refresh(master: readonly ObjectEntry[], range: KeyRange): Promise<void> {
    const { count, digest } = await objectsRangeDigest(this.db, this.bucketId, range)
    await giveWay() // the digest hashes thousands of keys
    if (count === master.length && digest === indexDigest(master)) return
    const rows =
      count === 0
        ? []
        : (await listObjectsRange(this.db, this.bucketId, range)).map((row) => ({
            key: row.name,
            size: row.size,
            etag: row.etag,
          }))
    const upserts: ObjectEntryInput[] = []
    const deletes: string[] = []
    for (const action of diffListings(master, rows)) {
      if (action.op === 'delete') deletes.push(action.key)
      else {
        const { key, size, etag, last_modified } = action.source
        upserts.push({ name: key, size, etag, last_modified })
      }
    }
    await upsertObjects(this.db, this.bucketId, upserts)
    await deleteObjects(this.db, this.bucketId, deletes)
  }
}
