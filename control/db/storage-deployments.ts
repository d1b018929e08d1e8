/** Storage deployments (thesis §4.1.4): MinIO servers FaDO tracks. The secret key never leaves here. */
import type { Queryable } from './client.js'

/** What the API may show: every column but secret_key (write-only) and the unused sqs_arn. */
export interface StorageDeploymentRow {
  storage_id: number
  cluster_id: number
  alias: string
  endpoint: string
  use_ssl: boolean
  access_key: string
  minio_deployment_id: string
  management_url: string
}

const PUBLIC_COLUMNS =
  'storage_id, cluster_id, alias, endpoint, use_ssl, access_key, minio_deployment_id, management_url'

export async function listStorageDeployments(q: Queryable): Promise<StorageDeploymentRow[]> {
  return q.query<StorageDeploymentRow>(
    `SELECT ${PUBLIC_COLUMNS} FROM storage_deployments ORDER BY storage_id`,
  )
}
