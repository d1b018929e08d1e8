/** Rows a schema-level test needs before it can write objects: one cluster and its storage. */
import type { Queryable } from '../../control/db/client.js'

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
