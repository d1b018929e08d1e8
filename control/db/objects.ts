/** Objects (thesis §4.1.6): what each bucket holds, as last seen on its master copy. */
import type { Queryable } from './client.js'

export interface ObjectRow {
  object_id: number
  bucket_id: number
  name: string
  size: number
  etag: string
  last_modified: Date
}

const COLUMNS = 'object_id, bucket_id, name, size, etag, last_modified'

export async function listObjects(q: Queryable, bucketId?: number): Promise<ObjectRow[]> {
  return bucketId === undefined
    ? q.query<ObjectRow>(`SELECT ${COLUMNS} FROM objects ORDER BY bucket_id, name`)
    : q.query<ObjectRow>(`SELECT ${COLUMNS} FROM objects WHERE bucket_id = $1 ORDER BY name`, [
        bucketId,
      ])
}

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
    `SELECT ${COLUMNS} FROM objects WHERE bucket_id = $1 AND name = $2`,
    [bucketId, name],
  )
  return rows[0]
}

export async function upsertObject(
  q: Queryable,
  input: { bucket_id: number; name: string; size: number; etag: string; last_modified: Date },
): Promise<ObjectRow> {
  const [row] = await q.query<ObjectRow>(
    `INSERT INTO objects (bucket_id, name, size, etag, last_modified) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (bucket_id, name) DO UPDATE
       SET size = EXCLUDED.size, etag = EXCLUDED.etag, last_modified = EXCLUDED.last_modified
     RETURNING ${COLUMNS}`,
    [input.bucket_id, input.name, input.size, input.etag, input.last_modified],
  )
  if (!row) throw new Error('upsert returned no row')
  return row
}

export async function deleteObjectByName(
  q: Queryable,
  bucketId: number,
  name: string,
): Promise<boolean> {
  const rows = await q.query(
    'DELETE FROM objects WHERE bucket_id = $1 AND name = $2 RETURNING object_id',
    [bucketId, name],
  )
  return rows.length > 0
}
