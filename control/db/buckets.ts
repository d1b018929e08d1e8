/** Buckets (thesis §4.1.5): a master copy on one storage deployment, replicas by policy. */
import type { Queryable } from './client.js'
import { policyValueSql } from './policies.js'

export type ReplicaStatus = 'syncing' | 'synced' | 'error'

export interface BucketRow {
  bucket_id: number
  name: string
  /** The storage deployment holding the master copy. */
  storage_id: number
  /** Zones replicas may be placed in; empty = anywhere. */
  zones: string[]
  target_replica_count: number
  /** Manual placement overriding the automatic choice; null = automatic. */
  replica_locations: number[] | null
  replicas: { storage_id: number; status: ReplicaStatus; error: string | null }[]
}

const SELECT = `SELECT b.bucket_id, b.name, b.storage_id,
    ${policyValueSql('buckets_policies', 'bucket_id', 'b', 'zones')} AS zones,
    (${policyValueSql('buckets_policies', 'bucket_id', 'b', 'target_replica_count')})::int AS target_replica_count,
    (SELECT bp.value FROM buckets_policies bp JOIN policies p ON p.policy_id = bp.policy_id
     WHERE bp.bucket_id = b.bucket_id AND p.name = 'replica_locations') AS replica_locations,
    COALESCE((SELECT json_agg(json_build_object('storage_id', r.storage_id, 'status', r.status,
                'error', r.error) ORDER BY r.storage_id)
              FROM replica_bucket_locations r WHERE r.bucket_id = b.bucket_id), '[]') AS replicas
  FROM buckets b`

export async function listBuckets(q: Queryable): Promise<BucketRow[]> {
  return q.query<BucketRow>(`${SELECT} ORDER BY b.bucket_id`)
}

export async function getBucket(q: Queryable, id: number): Promise<BucketRow | undefined> {
  const rows = await q.query<BucketRow>(`${SELECT} WHERE b.bucket_id = $1`, [id])
  return rows[0]
}

export async function listBucketNames(q: Queryable): Promise<string[]> {
  const rows = await q.query<{ name: string }>('SELECT name FROM buckets ORDER BY name')
  return rows.map((r) => r.name)
}

/** For routing: each bucket with the clusters holding its master or a synced replica. */
export async function listBucketServingClusters(
  q: Queryable,
): Promise<{ bucket_name: string; cluster_id: number | null }[]> {
  return q.query(
    `SELECT b.name AS bucket_name, s.cluster_id
     FROM buckets b LEFT JOIN bucket_serving_clusters s ON s.bucket_id = b.bucket_id
     ORDER BY b.name, s.cluster_id`,
  )
}
