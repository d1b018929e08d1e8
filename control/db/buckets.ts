/** Buckets (thesis §4.1.5): a master copy on one storage deployment, replicas by policy. */
import type { DemandSettings } from '../replication/demand-plan.js'
import type { Queryable } from './client.js'
import { policyValueSql, setBucketPolicy } from './policies.js'

export type ReplicaStatus = 'syncing' | 'synced' | 'error' | 'waiting'

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
  /** 'agents': the bucket's bytes never pass through control (replicas wait for an agent). */
  data_path: 'any' | 'agents'
  replicas: {
    storage_id: number
    status: ReplicaStatus
    error: string | null
    /** Objects found changed or added behind FaDO's back and repaired, and when last. */
    repaired_objects: number
    last_repair_at: string | null
    /** The last full pass that verified this replica: when it ended, its time, objects compared. */
    last_full_pass_at: string | null
    last_full_pass_ms: number | null
    last_full_pass_objects: number | null
  }[]
  /** Objects indexed from the master, and their bytes (kept by triggers on objects). */
  object_count: number
  total_bytes: number
  /** Replicas on demand (null = off). */
  demand: DemandSettings | null
  /** What the demand planner wants, and why (the copies' state is in `replicas`). */
  demand_replicas: {
    storage_id: number
    zone: string
    reason: string
    added_at: string
    last_demand_at: string
  }[]
  /** The bucket's last demand decisions, newest first. */
  demand_decisions: {
    at: string
    action: 'add' | 'remove'
    zone: string
    storage_id: number | null
    reason: string
  }[]
}

/** Demand decisions a bucket shows (the table keeps 30 days of them). */
export const DECISIONS_SHOWN = 10

const SELECT = `SELECT b.bucket_id, b.name, b.storage_id, b.object_count, b.total_bytes, b.data_path,
    b.demand,
    COALESCE((SELECT json_agg(json_build_object('storage_id', d.storage_id, 'zone', d.zone,
                'reason', d.reason, 'added_at', d.added_at, 'last_demand_at', d.last_demand_at)
                ORDER BY d.storage_id)
              FROM demand_replicas d WHERE d.bucket_id = b.bucket_id), '[]') AS demand_replicas,
    COALESCE((SELECT json_agg(x ORDER BY x.at DESC) FROM (
                SELECT e.at, e.action, e.zone, e.storage_id, e.reason FROM demand_decisions e
                WHERE e.bucket_id = b.bucket_id ORDER BY e.at DESC, e.decision_id DESC
                LIMIT ${DECISIONS_SHOWN}) x), '[]') AS demand_decisions,
    ${policyValueSql('buckets_policies', 'bucket_id', 'b', 'zones')} AS zones,
    (${policyValueSql('buckets_policies', 'bucket_id', 'b', 'target_replica_count')})::int AS target_replica_count,
    (SELECT bp.value FROM buckets_policies bp JOIN policies p ON p.policy_id = bp.policy_id
     WHERE bp.bucket_id = b.bucket_id AND p.name = 'replica_locations') AS replica_locations,
    COALESCE((SELECT json_agg(json_build_object('storage_id', r.storage_id, 'status', r.status,
                'error', r.error, 'repaired_objects', r.repaired_objects,
                'last_repair_at', r.last_repair_at, 'last_full_pass_at', r.last_full_pass_at,
                'last_full_pass_ms', r.last_full_pass_ms,
                'last_full_pass_objects', r.last_full_pass_objects) ORDER BY r.storage_id)
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

/** Bucket name → bytes on its master, as indexed (what data gravity weighs). */
export async function listBucketBytes(q: Queryable): Promise<Map<string, number>> {
  const rows = await q.query<{ name: string; total_bytes: number | string }>(
    'SELECT name, total_bytes FROM buckets',
  )
  return new Map(rows.map((r) => [r.name, Number(r.total_bytes)]))
}

export async function getBucketByName(q: Queryable, name: string): Promise<BucketRow | undefined> {
  const rows = await q.query<BucketRow>(`${SELECT} WHERE b.name = $1`, [name])
  return rows[0]
}

/** Name → (id, master) for the buckets among `names` that exist. */
export async function findBucketsByName(
  q: Queryable,
  names: readonly string[],
): Promise<Map<string, { bucket_id: number; storage_id: number }>> {
  if (names.length === 0) return new Map()
  const rows = await q.query<{ bucket_id: number; name: string; storage_id: number }>(
    'SELECT bucket_id, name, storage_id FROM buckets WHERE name = ANY($1::text[])',
    [names],
  )
  return new Map(rows.map((r) => [r.name, { bucket_id: r.bucket_id, storage_id: r.storage_id }]))
}

export async function listBucketIds(q: Queryable): Promise<number[]> {
  const rows = await q.query<{ bucket_id: number }>(
    'SELECT bucket_id FROM buckets ORDER BY bucket_id',
  )
  return rows.map((r) => r.bucket_id)
}

/** Buckets whose master copy lives on this storage deployment. */
export async function listMasterBucketNames(q: Queryable, storageId: number): Promise<string[]> {
  const rows = await q.query<{ name: string }>(
    'SELECT name FROM buckets WHERE storage_id = $1 ORDER BY name',
    [storageId],
  )
  return rows.map((r) => r.name)
}

/** The deployments that hold at least one master bucket. */
export async function storagesHoldingMasters(q: Queryable): Promise<Set<number>> {
  const rows = await q.query<{ storage_id: number }>(
    `SELECT s.storage_id FROM storage_deployments s
      WHERE EXISTS (SELECT 1 FROM buckets b WHERE b.storage_id = s.storage_id)`,
  )
  return new Set(rows.map((r) => r.storage_id))
}

export interface BucketPolicyInput {
  zones?: string[] | undefined
  target_replica_count?: number | undefined
  /** null removes a manual override. */
  replica_locations?: number[] | null | undefined
  /** 'agents': bytes never pass through control. */
  data_path?: 'any' | 'agents' | undefined
  /** null turns replicas on demand off. */
  demand?: DemandSettings | null | undefined
}

export async function insertBucket(
  q: Queryable,
  input: { name: string; storage_id: number } & BucketPolicyInput,
): Promise<number> {
  const [row] = await q.query<{ bucket_id: number }>(
    'INSERT INTO buckets (storage_id, name) VALUES ($1, $2) RETURNING bucket_id',
    [input.storage_id, input.name],
  )
  if (!row) throw new Error('INSERT … RETURNING returned no row')
  await setBucketPolicies(q, row.bucket_id, input)
  return row.bucket_id
}

export async function setBucketPolicies(
  q: Queryable,
  bucketId: number,
  input: BucketPolicyInput,
): Promise<void> {
  if (input.zones !== undefined) await setBucketPolicy(q, bucketId, 'zones', input.zones)
  if (input.target_replica_count !== undefined) {
    await setBucketPolicy(q, bucketId, 'target_replica_count', input.target_replica_count)
  }
  if (input.replica_locations === null) {
    await q.query(
      `DELETE FROM buckets_policies WHERE bucket_id = $1
       AND policy_id = (SELECT policy_id FROM policies WHERE name = 'replica_locations')`,
      [bucketId],
    )
  } else if (input.replica_locations !== undefined) {
    await setBucketPolicy(q, bucketId, 'replica_locations', input.replica_locations)
  }
  if (input.data_path !== undefined)
    await q.query('UPDATE buckets SET data_path = $2 WHERE bucket_id = $1', [
      bucketId,
      input.data_path,
    ])
  if (input.demand !== undefined) {
    await q.query('UPDATE buckets SET demand = $2::jsonb WHERE bucket_id = $1', [
      bucketId,
      input.demand === null ? null : JSON.stringify(input.demand),
    ])
    // Turned off: the replicas it made go with the next pass.
    if (!input.demand?.enabled)
      await q.query('DELETE FROM demand_replicas WHERE bucket_id = $1', [bucketId])
  }
}

export async function deleteBucket(q: Queryable, id: number): Promise<boolean> {
  const rows = await q.query('DELETE FROM buckets WHERE bucket_id = $1 RETURNING bucket_id', [id])
  return rows.length > 0
}

export async function addReplica(q: Queryable, bucketId: number, storageId: number): Promise<void> {
  await q.query(
    `INSERT INTO replica_bucket_locations (bucket_id, storage_id, status) VALUES ($1, $2, 'syncing')
     ON CONFLICT (bucket_id, storage_id) DO NOTHING`,
    [bucketId, storageId],
  )
}

export async function removeReplica(
  q: Queryable,
  bucketId: number,
  storageId: number,
): Promise<void> {
  await q.query('DELETE FROM replica_bucket_locations WHERE bucket_id = $1 AND storage_id = $2', [
    bucketId,
    storageId,
  ])
  // What FaDO copied there is gone with it.
  await q.query('DELETE FROM replica_objects WHERE bucket_id = $1 AND storage_id = $2', [
    bucketId,
    storageId,
  ])
}

/** Returns true when the status or error text changed (routes may need republishing). */
export async function setReplicaStatus(
  q: Queryable,
  bucketId: number,
  storageId: number,
  status: ReplicaStatus,
  error: string | null = null,
): Promise<boolean> {
  const rows = await q.query(
    `UPDATE replica_bucket_locations SET status = $3, error = $4, updated_at = now()
     WHERE bucket_id = $1 AND storage_id = $2 AND (status IS DISTINCT FROM $3 OR error IS DISTINCT FROM $4)
     RETURNING bucket_id`,
    [bucketId, storageId, status, error],
  )
  return rows.length > 0
}

/** Imports a bucket found on a storage deployment as a master copy; no-op if the name is known. */
export async function importBucket(
  q: Queryable,
  name: string,
  storageId: number,
): Promise<number | undefined> {
  const rows = await q.query<{ bucket_id: number }>(
    'INSERT INTO buckets (storage_id, name) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING RETURNING bucket_id',
    [storageId, name],
  )
  return rows[0]?.bucket_id
}

/** Records a full pass that verified a replica: when it ended, how long it took, objects compared. */
export async function recordFullPass(
  q: Queryable,
  bucketId: number,
  storageId: number,
  pass: { durationMs: number; objects: number },
): Promise<void> {
  await q.query(
    `UPDATE replica_bucket_locations
     SET last_full_pass_at = now(), last_full_pass_ms = $3, last_full_pass_objects = $4
     WHERE bucket_id = $1 AND storage_id = $2`,
    [bucketId, storageId, Math.round(pass.durationMs), pass.objects],
  )
}

/** What the demand planner decided for a bucket, written at once (demand-loop.ts). */
export async function applyDemandPlan(
  q: Queryable,
  bucketId: number,
  plan: {
    add: readonly { storage_id: number; zone: string; reason: string }[]
    remove: readonly { storage_id: number; zone: string; reason: string }[]
    refresh: readonly number[]
  },
): Promise<void> {
  for (const a of plan.add) {
    await q.query(
      `INSERT INTO demand_replicas (bucket_id, storage_id, zone, reason) VALUES ($1, $2, $3, $4)
       ON CONFLICT (bucket_id, storage_id) DO NOTHING`,
      [bucketId, a.storage_id, a.zone, a.reason],
    )
    await q.query(
      `INSERT INTO demand_decisions (bucket_id, action, zone, storage_id, reason)
       VALUES ($1, 'add', $2, $3, $4)`,
      [bucketId, a.zone, a.storage_id, a.reason],
    )
  }
  for (const r of plan.remove) {
    await q.query('DELETE FROM demand_replicas WHERE bucket_id = $1 AND storage_id = $2', [
      bucketId,
      r.storage_id,
    ])
    await q.query(
      `INSERT INTO demand_decisions (bucket_id, action, zone, storage_id, reason)
       VALUES ($1, 'remove', $2, $3, $4)`,
      [bucketId, r.zone, r.storage_id, r.reason],
    )
  }
  if (plan.refresh.length > 0)
    await q.query(
      `UPDATE demand_replicas SET last_demand_at = now()
       WHERE bucket_id = $1 AND storage_id = ANY($2::int[])`,
      [bucketId, plan.refresh],
    )
}

/** Additions and removals of a bucket's replicas on demand in the last hour. */
export async function demandChangesLastHour(q: Queryable, bucketId: number): Promise<number> {
  const [row] = await q.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM demand_decisions
     WHERE bucket_id = $1 AND at > now() - interval '1 hour'`,
    [bucketId],
  )
  return row?.n ?? 0
}

/** Demand decisions older than 30 days go. */
export async function pruneDemandDecisions(q: Queryable): Promise<void> {
  await q.query(`DELETE FROM demand_decisions WHERE at < now() - interval '30 days'`)
}

/** Is any bucket's demand planning on? */
export async function anyBucketOnDemand(q: Queryable): Promise<boolean> {
  const rows = await q.query(
    `SELECT 1 FROM buckets WHERE demand IS NOT NULL AND (demand->>'enabled')::boolean LIMIT 1`,
  )
  return rows.length > 0
}
