/**
 * Policy values (thesis §4.1.1): a named setting with a default in `policies`, overridden
 * globally (global_policies), per cluster (clusters_policies) or per bucket (buckets_policies).
 * Values are JSON; they are always passed as JSON text and cast, so arrays stay arrays.
 */
import type { Queryable } from './client.js'

export type SettingName =
  | 'lb_policy'
  | 'lb_match_header'
  | 'lb_route_overrides'
  | 'lb_retries'
  | 'lb_retry_budget'
  | 'lb_hash_balance_factor'
  | 'lb_health_check'
  | 'lb_function_header'
  | 'lb_allow_partial'
  | 'lb_locality'
  | 'zones'
  | 'target_replica_count'
  | 'replica_locations'

export async function getGlobalPolicies(
  q: Queryable,
  names: readonly SettingName[],
): Promise<Map<SettingName, unknown>> {
  const rows = await q.query<{ name: SettingName; value: unknown }>(
    `SELECT p.name, COALESCE(g.value, p.default_value) AS value
     FROM policies p LEFT JOIN global_policies g ON g.policy_id = p.policy_id
     WHERE p.name = ANY($1::text[])`,
    [names],
  )
  return new Map(rows.map((r) => [r.name, r.value]))
}

export async function setGlobalPolicy(
  q: Queryable,
  name: SettingName,
  value: unknown,
): Promise<void> {
  await q.query(
    `INSERT INTO global_policies (policy_id, value)
     SELECT policy_id, $2::jsonb FROM policies WHERE name = $1
     ON CONFLICT (policy_id) DO UPDATE SET value = EXCLUDED.value`,
    [name, JSON.stringify(value)],
  )
}

/** The per-cluster and per-bucket policy tables, and the column naming their owner. */
const SCOPES = {
  cluster: { table: 'clusters_policies', key: 'cluster_id' },
  bucket: { table: 'buckets_policies', key: 'bucket_id' },
} as const

/** Sets a policy value for one cluster or bucket (the table and column come from SCOPES, not input). */
async function setScopedPolicy(
  q: Queryable,
  scope: keyof typeof SCOPES,
  ownerId: number,
  name: SettingName,
  value: unknown,
): Promise<void> {
  const { table, key } = SCOPES[scope]
  await q.query(
    `INSERT INTO ${table} (${key}, policy_id, value)
     SELECT $1, policy_id, $3::jsonb FROM policies WHERE name = $2
     ON CONFLICT (${key}, policy_id) DO UPDATE SET value = EXCLUDED.value`,
    [ownerId, name, JSON.stringify(value)],
  )
}

export const setClusterPolicy = (
  q: Queryable,
  clusterId: number,
  name: SettingName,
  value: unknown,
) => setScopedPolicy(q, 'cluster', clusterId, name, value)

export const setBucketPolicy = (
  q: Queryable,
  bucketId: number,
  name: SettingName,
  value: unknown,
) => setScopedPolicy(q, 'bucket', bucketId, name, value)

/** SQL for "the value of policy NAME for the row aliased ALIAS of a per-cluster/per-bucket table". */
export function policyValueSql(
  table: 'clusters_policies' | 'buckets_policies',
  key: 'cluster_id' | 'bucket_id',
  alias: string,
  name: SettingName,
): string {
  return `COALESCE(
    (SELECT t.value FROM ${table} t JOIN policies p ON p.policy_id = t.policy_id
     WHERE t.${key} = ${alias}.${key} AND p.name = '${name}'),
    (SELECT default_value FROM policies WHERE name = '${name}'))`
}
