/** Rows a schema-level test or bench needs: a cluster, its storage, a bucket, object records. */
import type { Queryable } from '../../control/db/client.js'
import { upsertObjects } from '../../control/db/objects.js'

/** Inserts a cluster and a storage deployment (no server behind it); gives the storage's id. */
export async function insertStorageRow(db: Queryable): Promise<number> {
  const [c] = await db.query<{ cluster_id: number }>(
    `INSERT INTO clusters (name) VALUES ('site') RETURNING cluster_id`,
  )
  const [s] = await db.query<{ storage_id: number }>(
    `INSERT INTO storage_deployments (cluster_id, minio_deployment_id, alias, endpoint, access_key, secret_key, use_ssl)
     VALUES ($1, 'd', 'd', '127.0.0.1:1', 'a', 's', false) RETURNING storage_id`,
    [c!.cluster_id],
  )
  return s!.storage_id
}

/** Inserts a bucket on a storage of its own (insertStorageRow); gives the bucket's id. */
export async function insertBucketRow(db: Queryable, name: string): Promise<number> {
  const [b] = await db.query<{ bucket_id: number }>(
    `INSERT INTO buckets (name, storage_id) VALUES ($1, $2) RETURNING bucket_id`,
    [name, await insertStorageRow(db)],
  )
  return b!.bucket_id
}

/**
 * Writes a record for each of `names`, `batch` per statement as a pass does, with a size and
 * ETag of their `generation`: inserted the first time, one updated row each after that.
 */
export async function writeRecords(
  db: Queryable,
  bucketId: number,
  names: readonly string[],
  generation: number,
  batch: number,
): Promise<void> {
  const etag = generation.toString(16).padStart(32, '0')
  for (let i = 0; i < names.length; i += batch)
    await upsertObjects(
      db,
      bucketId,
      names.slice(i, i + batch).map((name) => ({
        name,
        size: 1_000 + generation,
        etag,
        last_modified: new Date(),
      })),
    )
}
