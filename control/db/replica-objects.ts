/** FaDO's record of what it copied to each replica (sql/0009_replica_objects.sql). */
import { DIGEST_SQL, type KeyRange } from '../replication/digest.js'
import type { Queryable } from './client.js'
import { BUCKET_HELD, KEY, rangeSql, readRange } from './objects.js'

export interface ReplicaObjectRow {
  name: string
  source_etag: string
  source_size: number
  source_mtime: Date
  /** What the replica server calls its copy; null until FaDO has seen it listed. */
  replica_etag: string | null
}

const COLUMNS = 'name, source_etag, source_size, source_mtime, replica_etag'

export async function getReplicaObject(
  q: Queryable,
  bucketId: number,
  storageId: number,
  name: string,
): Promise<ReplicaObjectRow | undefined> {
  const rows = await q.query<ReplicaObjectRow>(
    `SELECT ${COLUMNS} FROM replica_objects WHERE bucket_id = $1 AND storage_id = $2 AND ${KEY} = $3`,
    [bucketId, storageId, name],
  )
  return rows[0]
}

export async function upsertReplicaObjects(
  q: Queryable,
  bucketId: number,
  storageId: number,
  rows: readonly ReplicaObjectRow[],
): Promise<void> {
  if (rows.length === 0) return
  await q.query(
    `INSERT INTO replica_objects
       (bucket_id, storage_id, name, source_etag, source_size, source_mtime, replica_etag)
     SELECT $1, $2, r.name, r.source_etag, r.source_size, r.source_mtime, r.replica_etag
     FROM unnest($3::text[], $4::text[], $5::bigint[], $6::timestamptz[], $7::text[])
       AS r(name, source_etag, source_size, source_mtime, replica_etag)
     WHERE ${BUCKET_HELD}
       AND EXISTS (SELECT 1 FROM storage_deployments WHERE storage_id = $2 FOR KEY SHARE)
     ON CONFLICT (bucket_id, storage_id, name) DO UPDATE
       SET source_etag = EXCLUDED.source_etag, source_size = EXCLUDED.source_size,
           source_mtime = EXCLUDED.source_mtime, replica_etag = EXCLUDED.replica_etag,
           copied_at = now()`,
    [
      bucketId,
      storageId,
      rows.map((r) => r.name),
      rows.map((r) => r.source_etag),
      rows.map((r) => r.source_size),
      rows.map((r) => r.source_mtime.toISOString()),
      rows.map((r) => r.replica_etag),
    ],
  )
}

export async function deleteReplicaObjects(
  q: Queryable,
  bucketId: number,
  storageId: number,
  names: readonly string[],
): Promise<void> {
  if (names.length === 0) return
  await q.query(
    `DELETE FROM replica_objects WHERE bucket_id = $1 AND storage_id = $2 AND ${KEY} = ANY($3::text[])`,
    [bucketId, storageId, names],
  )
}

/** Counts objects repaired on a replica (changed or added behind FaDO's back). */
export async function addRepairs(
  q: Queryable,
  bucketId: number,
  storageId: number,
  objects: number,
): Promise<void> {
  await q.query(
    `UPDATE replica_bucket_locations
     SET repaired_objects = repaired_objects + $3, last_repair_at = now()
     WHERE bucket_id = $1 AND storage_id = $2`,
    [bucketId, storageId, objects],
  )
}

/** How many records of one replica lie in a key range, and their digest (digest.ts). */
export async function replicaObjectsRangeDigest(
  q: Queryable,
  bucketId: number,
  storageId: number,
  range: KeyRange,
): Promise<{ count: number; digest: string }> {
  const { where, params } = rangeSql(3, range)
  const [row] = await q.query<{ count: number; digest: string }>(
    `SELECT count(*)::int AS count, ${DIGEST_SQL} AS digest
     FROM replica_objects WHERE bucket_id = $1 AND storage_id = $2 AND ${where}`,
    [bucketId, storageId, ...params],
  )
  return row as { count: number; digest: string }
}

/** One replica's records in a key range, in S3 key order. */
export function listReplicaObjectsRange(
  q: Queryable,
  bucketId: number,
  storageId: number,
  range: KeyRange,
): Promise<ReplicaObjectRow[]> {
  return readRange(range, (part, limit) => {
    const { where, params } = rangeSql(4, part)
    return q.query<ReplicaObjectRow>(
      `SELECT ${COLUMNS} FROM replica_objects WHERE bucket_id = $1 AND storage_id = $2 AND ${where}
       ORDER BY ${KEY} LIMIT $3`,
      [bucketId, storageId, limit, ...params],
    )
  })
}
