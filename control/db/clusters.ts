/** Clusters (thesis §4.1.2): a place holding colocated FaaS and storage deployments, with zones. */
import type { Queryable } from './client.js'
import { policyValueSql, setClusterPolicy } from './policies.js'

export interface ClusterRow {
  cluster_id: number
  name: string
  /** Zones this cluster belongs to (clusters_policies 'zones'), e.g. ['germany', 'hpc']. */
  zones: string[]
}

const SELECT = `SELECT c.cluster_id, c.name, ${policyValueSql('clusters_policies', 'cluster_id', 'c', 'zones')} AS zones
  FROM clusters c`

export async function listClusters(q: Queryable): Promise<ClusterRow[]> {
  return q.query<ClusterRow>(`${SELECT} ORDER BY c.cluster_id`)
}

export async function getCluster(q: Queryable, id: number): Promise<ClusterRow | undefined> {
  const rows = await q.query<ClusterRow>(`${SELECT} WHERE c.cluster_id = $1`, [id])
  return rows[0]
}

export async function insertCluster(
  q: Queryable,
  input: { name: string; zones: string[] },
): Promise<ClusterRow> {
  const [row] = await q.query<{ cluster_id: number }>(
    'INSERT INTO clusters (name) VALUES ($1) RETURNING cluster_id',
    [input.name],
  )
  if (!row) throw new Error('INSERT … RETURNING returned no row')
  await setClusterPolicy(q, row.cluster_id, 'zones', input.zones)
  return { cluster_id: row.cluster_id, name: input.name, zones: input.zones }
}

/** Applies the given fields; returns the updated row, or undefined when there is no such cluster. */
export async function updateCluster(
  q: Queryable,
  id: number,
  input: { name?: string | undefined; zones?: string[] | undefined },
): Promise<ClusterRow | undefined> {
  const rows = await q.query('SELECT 1 FROM clusters WHERE cluster_id = $1 FOR UPDATE', [id])
  if (rows.length === 0) return undefined
  if (input.name !== undefined) {
    await q.query('UPDATE clusters SET name = $2 WHERE cluster_id = $1', [id, input.name])
  }
  if (input.zones !== undefined) await setClusterPolicy(q, id, 'zones', input.zones)
  return getCluster(q, id)
}

/** Deletes the cluster; its FaaS and storage deployments (and their buckets) go with it. */
export async function deleteCluster(q: Queryable, id: number): Promise<boolean> {
  const rows = await q.query('DELETE FROM clusters WHERE cluster_id = $1 RETURNING cluster_id', [
    id,
  ])
  return rows.length > 0
}
