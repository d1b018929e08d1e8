/** Objects (thesis §4.1.6): what each bucket holds, as last seen on its master copy. */
import { DIGEST_SQL, type KeyRange } from '../replication/digest.js'
import { UNIQUE_VIOLATION, type Queryable } from './client.js'

export interface ObjectRow {
  object_id: number
  bucket_id: number
  name: string
  size: number
  etag: string
  last_modified: Date
}

const COLUMNS = 'object_id, bucket_id, name, size, etag, last_modified'

/**
 * What a foreign key did per row, once per statement (sql/0015): the bucket ($1) exists, and is
 * key-share locked so that deleting it waits for this write and then removes its rows too.
 */
export const BUCKET_HELD = 'EXISTS (SELECT 1 FROM buckets WHERE bucket_id = $1 FOR KEY SHARE)'

/**
 * A row's key as its one index holds it, in S3 key order (sql/0019): a lookup by name that does not
 * say so finds no index for the name and reads every row of the bucket.
 */
export const KEY = 'name COLLATE "C"'

export async function getObject(q: Queryable, id: number): Promise<ObjectRow | undefined> {
  const rows = await q.query<ObjectRow>(`SELECT ${COLUMNS} FROM objects WHERE object_id = $1`, [id])
  return rows[0]
}

export async function getObjectByName(
  q: Queryable,
  bucketId: number,
  name: string,
): Promise<ObjectRow | undefined> {
  const rows = await q.query<ObjectRow>(
    `SELECT ${COLUMNS} FROM objects WHERE bucket_id = $1 AND ${KEY} = $2`,
    [bucketId, name],
  )
  return rows[0]
}

export async function upsertObject(
  q: Queryable,
  input: { bucket_id: number; name: string; size: number; etag: string; last_modified: Date },
): Promise<ObjectRow> {
  const [row] = await q.query<ObjectRow>(
    `INSERT INTO objects (bucket_id, name, size, etag, last_modified)
     SELECT $1::int, $2::text, $3::bigint, $4::text, $5::timestamptz WHERE ${BUCKET_HELD}
     ON CONFLICT (bucket_id, name) DO UPDATE
       SET size = EXCLUDED.size, etag = EXCLUDED.etag, last_modified = EXCLUDED.last_modified
       WHERE (objects.size, objects.etag) IS DISTINCT FROM (EXCLUDED.size, EXCLUDED.etag)
     RETURNING ${COLUMNS}`,
    [input.bucket_id, input.name, input.size, input.etag, input.last_modified],
  )
  // Same content as recorded: the row stays as it is (its last_modified too).
  const existing = row ?? (await getObjectByName(q, input.bucket_id, input.name))
  if (!existing) throw new Error(`bucket ${input.bucket_id} is gone`)
  return existing
}

export interface ObjectEntryInput {
  name: string
  size: number
  etag: string
  last_modified: Date
}

/** One page of a bucket's objects in S3 key order (UTF-8 bytes), after `after` ('' = start). */
export async function listObjectsPage(
  q: Queryable,
  bucketId: number,
  after: string,
  limit: number,
  prefix = '',
): Promise<ObjectRow[]> {
  return q.query<ObjectRow>(
    `SELECT ${COLUMNS} FROM objects
     WHERE bucket_id = $1 AND ${KEY} > $2
       AND ${KEY} >= $4 AND ${KEY} < $4 || chr(1114111)
       AND starts_with(name, $4)
     ORDER BY ${KEY} LIMIT $3`,
    [bucketId, after, limit, prefix],
  )
}

const INSERT_ENTRIES = `INSERT INTO objects (bucket_id, name, size, etag, last_modified)
  SELECT $1, e.name, e.size, e.etag, e.last_modified
  FROM unnest($2::text[], $3::bigint[], $4::text[], $5::timestamptz[])
    AS e(name, size, etag, last_modified)
  WHERE ${BUCKET_HELD}`

const entryParams = (bucketId: number, entries: readonly ObjectEntryInput[]) => [
  bucketId,
  entries.map((e) => e.name),
  entries.map((e) => e.size),
  entries.map((e) => e.etag),
  entries.map((e) => e.last_modified.toISOString()),
]

/** Inserts or updates many objects of one bucket in one statement. */
export async function upsertObjects(
  q: Queryable,
  bucketId: number,
  entries: readonly ObjectEntryInput[],
): Promise<void> {
  if (entries.length === 0) return
  await q.query(
    `${INSERT_ENTRIES}
     ON CONFLICT (bucket_id, name) DO UPDATE
       SET size = EXCLUDED.size, etag = EXCLUDED.etag, last_modified = EXCLUDED.last_modified`,
    entryParams(bucketId, entries),
  )
}

/**
 * Objects of a key range that held none when it was read (a bucket's import, mostly), in one plain
 * INSERT: without ON CONFLICT's look-up before each row it costs the embedded database a quarter
 * less. Should one of the keys have arrived since (a change event), the statement fails as a whole
 * and the entries are upserted instead. Not for a transaction, which the failure would end.
 */
export async function insertNewObjects(
  q: Queryable,
  bucketId: number,
  entries: readonly ObjectEntryInput[],
): Promise<void> {
  if (entries.length === 0) return
  try {
    await q.query(INSERT_ENTRIES, entryParams(bucketId, entries))
  } catch (err) {
    if ((err as { code?: unknown }).code !== UNIQUE_VIOLATION) throw err
    await upsertObjects(q, bucketId, entries)
  }
}

/** Deletes many objects of one bucket by name in one statement. */
export async function deleteObjects(
  q: Queryable,
  bucketId: number,
  names: readonly string[],
): Promise<void> {
  if (names.length === 0) return
  await q.query(`DELETE FROM objects WHERE bucket_id = $1 AND ${KEY} = ANY($2::text[])`, [
    bucketId,
    names,
  ])
}

export async function deleteObjectByName(
  q: Queryable,
  bucketId: number,
  name: string,
): Promise<boolean> {
  const rows = await q.query(
    `DELETE FROM objects WHERE bucket_id = $1 AND ${KEY} = $2 RETURNING object_id`,
    [bucketId, name],
  )
  return rows.length > 0
}

/** The rows a range read asks for at once. */
const RANGE_PAGE = 5_000

/** `name` within (after, upTo], S3 key order; parameters from `first` on. */
export function rangeSql(first: number, range: KeyRange): { where: string; params: string[] } {
  return range.upTo === null
    ? { where: `${KEY} > $${first}`, params: [range.after] }
    : {
        where: `${KEY} > $${first} AND ${KEY} <= $${first + 1}`,
        params: [range.after, range.upTo],
      }
}

/** How many objects of a bucket the index holds in a key range, and their digest (digest.ts). */
export async function objectsRangeDigest(
  q: Queryable,
  bucketId: number,
  range: KeyRange,
): Promise<{ count: number; digest: string }> {
  const { where, params } = rangeSql(2, range)
  const [row] = await q.query<{ count: number; digest: string }>(
    `SELECT count(*)::int AS count, ${DIGEST_SQL} AS digest
     FROM objects WHERE bucket_id = $1 AND ${where}`,
    [bucketId, ...params],
  )
  return row as { count: number; digest: string }
}

/**
 * Every row in a key range, in S3 key order, read `RANGE_PAGE` at a time by `page` (the rows after
 * a key, up to the range's end, at most that many).
 */
export async function readRange<R extends { name: string }>(
  range: KeyRange,
  page: (range: KeyRange, limit: number) => Promise<R[]>,
): Promise<R[]> {
  const rows: R[] = []
  let after = range.after
  for (;;) {
    const got = await page({ after, upTo: range.upTo }, RANGE_PAGE)
    rows.push(...got)
    if (got.length < RANGE_PAGE) return rows
    after = (got.at(-1) as R).name
  }
}

/** Every indexed object of a bucket in a key range, in S3 key order. */
export function listObjectsRange(
  q: Queryable,
  bucketId: number,
  range: KeyRange,
): Promise<ObjectRow[]> {
  return readRange(range, (part, limit) => {
    const { where, params } = rangeSql(3, part)
    return q.query<ObjectRow>(
      `SELECT ${COLUMNS} FROM objects WHERE bucket_id = $1 AND ${where}
       ORDER BY ${KEY} LIMIT $2`,
      [bucketId, limit, ...params],
    )
  })
}
