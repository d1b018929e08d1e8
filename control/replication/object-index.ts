/**
 * Keeps the objects table equal to what a bucket's master holds, one key range at a time as a
 * full pass lists the master: the range's digest in the table is compared with that of the
 * master's entries, and only a range that differs is read (in pages, merge-joined with the entries)
 * and its differences written. An unchanged bucket costs one small query per listing page.
 */
import type { Queryable } from '../db/client.js'
import {
  deleteObjects,
  insertNewObjects,
  listObjectsRange,
  objectsRangeDigest,
  upsertObjects,
  type ObjectEntryInput,
} from '../db/objects.js'
import type { ObjectEntry } from '../storage/types.js'
import { diffListings } from './diff.js'
import type { RangeStep } from './range-listing.js'

export class ObjectIndex {
  constructor(
    private readonly db: Queryable,
    private readonly bucketId: number,
  ) {}

  /**
   * Makes the table's rows in a range those of the master: `entries` gives the master's entries
   * there, asked for only when the range's digests differ.
   */
  async refresh(
    { range, count: listed, digest: expected }: Pick<RangeStep, 'range' | 'count' | 'digest'>,
    entries: () => Promise<readonly ObjectEntry[]>,
  ): Promise<void> {
    const { count, digest } = await objectsRangeDigest(this.db, this.bucketId, range)
    if (count === listed && digest === expected) return
    const master = await entries()
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
    await (count === 0 ? insertNewObjects : upsertObjects)(this.db, this.bucketId, upserts)
    await deleteObjects(this.db, this.bucketId, deletes)
  }
}
