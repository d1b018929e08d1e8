/**
 * Keeps the objects table equal to what a bucket's master holds. The master listing (S3 key
 * order) is merge-joined with the table read in pages in the same order, and the differences are
 * written in batches: memory and round trips stay bounded whatever the size of the bucket.
 */
import type { Queryable } from '../db/client.js'
import {
  deleteObjects,
  listObjectsPage,
  upsertObjects,
  type ObjectEntryInput,
  type ObjectRow,
} from '../db/objects.js'
import type { ObjectEntry } from '../storage/types.js'
import { diffListings } from './diff.js'

const PAGE = 1_000
const BATCH = 500

/** The table's rows of one bucket, in S3 key order, page by page. */
async function* indexedObjects(db: Queryable, bucketId: number): AsyncGenerator<ObjectRow> {
  let after = ''
  for (;;) {
    const page = await listObjectsPage(db, bucketId, after, PAGE)
    yield* page
    if (page.length < PAGE) return
    after = (page.at(-1) as ObjectRow).name
  }
}

/** The index of one bucket as a listing (S3 key order), as the master listed it last. */
export async function* indexedEntries(
  db: Queryable,
  bucketId: number,
): AsyncGenerator<ObjectEntry> {
  for await (const row of indexedObjects(db, bucketId))
    yield { key: row.name, size: row.size, etag: row.etag, last_modified: row.last_modified }
}

export interface IndexChanges {
  upserted: number
  deleted: number
}

export async function refreshObjectIndex(
  db: Queryable,
  bucketId: number,
  master: AsyncIterable<ObjectEntry>,
): Promise<IndexChanges> {
  const upserts: ObjectEntryInput[] = []
  const deletes: string[] = []
  const counts: IndexChanges = { upserted: 0, deleted: 0 }
  const flush = async (all: boolean) => {
    if (upserts.length >= BATCH || (all && upserts.length > 0)) {
      counts.upserted += upserts.length
      await upsertObjects(db, bucketId, upserts.splice(0))
    }
    if (deletes.length >= BATCH || (all && deletes.length > 0)) {
      counts.deleted += deletes.length
      await deleteObjects(db, bucketId, deletes.splice(0))
    }
  }
  const rows = (async function* () {
    for await (const row of indexedObjects(db, bucketId))
      yield { key: row.name, size: row.size, etag: row.etag }
  })()
  for await (const action of diffListings(master, rows)) {
    if (action.op === 'delete') deletes.push(action.key)
    else {
      const { key, size, etag, last_modified } = action.source
      upserts.push({ name: key, size, etag, last_modified })
    }
    await flush(false)
  }
  await flush(true)
  return counts
}
