/** FaaS deployments (thesis §4.1.3): an HTTP endpoint (http or https, maybe a path prefix) in a cluster. */
import type { Queryable } from './client.js'

export interface FaasDeploymentRow {
  faas_id: number
  cluster_id: number
  url: string
}

export async function listFaasDeployments(q: Queryable): Promise<FaasDeploymentRow[]> {
  return q.query<FaasDeploymentRow>(
    'SELECT faas_id, cluster_id, url FROM faas_deployments ORDER BY faas_id',
  )
}

export async function getFaasDeployment(
  q: Queryable,
  id: number,
): Promise<FaasDeploymentRow | undefined> {
  const rows = await q.query<FaasDeploymentRow>(
    'SELECT faas_id, cluster_id, url FROM faas_deployments WHERE faas_id = $1',
    [id],
  )
  return rows[0]
}

export async function insertFaasDeployment(
  q: Queryable,
  input: { cluster_id: number; url: string },
): Promise<FaasDeploymentRow> {
  const [row] = await q.query<FaasDeploymentRow>(
    'INSERT INTO faas_deployments (cluster_id, url) VALUES ($1, $2) RETURNING faas_id, cluster_id, url',
    [input.cluster_id, input.url],
  )
  if (!row) throw new Error('INSERT … RETURNING returned no row')
  return row
}

export async function updateFaasDeployment(
  q: Queryable,
  id: number,
  input: { cluster_id?: number | undefined; url?: string | undefined },
): Promise<FaasDeploymentRow | undefined> {
  const rows = await q.query<FaasDeploymentRow>(
    `UPDATE faas_deployments SET cluster_id = COALESCE($2, cluster_id), url = COALESCE($3, url)
     WHERE faas_id = $1 RETURNING faas_id, cluster_id, url`,
    [id, input.cluster_id ?? null, input.url ?? null],
  )
  return rows[0]
}

export async function deleteFaasDeployment(q: Queryable, id: number): Promise<boolean> {
  const rows = await q.query('DELETE FROM faas_deployments WHERE faas_id = $1 RETURNING faas_id', [
    id,
  ])
  return rows.length > 0
}
