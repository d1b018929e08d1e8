/**
 * Storage deployments (thesis §4.1.4): MinIO servers FaDO tracks. The secret key is stored sealed
 * (secrets.ts) and read only to connect.
 */
import type { StorageAddressing, StorageConnection, StorageKind } from '../storage/types.js'
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
  /** The webhook target this deployment notifies FaDO through ('' = none: event stream only). */
  sqs_arn: string
  /** Which storage adaptor talks to it: MinIO (with its extras) or any S3-compatible server. */
  kind: StorageKind
  /** The region requests are signed for. */
  region: string
  /** 'path' (host/bucket/key) or 'virtual' (bucket.host/key). */
  addressing: StorageAddressing
}

export type StorageWithSecret = StorageDeploymentRow & StorageConnection

const PUBLIC_COLUMNS =
  'storage_id, cluster_id, alias, endpoint, use_ssl, access_key, minio_deployment_id, management_url, sqs_arn, kind, region, addressing'

export async function listStorageDeployments(q: Queryable): Promise<StorageDeploymentRow[]> {
  return q.query<StorageDeploymentRow>(
    `SELECT ${PUBLIC_COLUMNS} FROM storage_deployments ORDER BY storage_id`,
  )
}

export async function getStorageDeployment(
  q: Queryable,
  id: number,
): Promise<StorageDeploymentRow | undefined> {
  const rows = await q.query<StorageDeploymentRow>(
    `SELECT ${PUBLIC_COLUMNS} FROM storage_deployments WHERE storage_id = $1`,
    [id],
  )
  return rows[0]
}

/** With the secret key: only for connecting to the deployment. */
export async function getStorageConnection(
  q: Queryable,
  id: number,
): Promise<StorageWithSecret | undefined> {
  const rows = await q.query<StorageWithSecret>(
    `SELECT ${PUBLIC_COLUMNS}, secret_key FROM storage_deployments WHERE storage_id = $1`,
    [id],
  )
  return rows[0]
}

export async function findStorageByDeploymentId(
  q: Queryable,
  deploymentId: string,
): Promise<StorageDeploymentRow | undefined> {
  const rows = await q.query<StorageDeploymentRow>(
    `SELECT ${PUBLIC_COLUMNS} FROM storage_deployments WHERE minio_deployment_id = $1`,
    [deploymentId],
  )
  return rows[0]
}

export async function findStorageByAlias(
  q: Queryable,
  alias: string,
): Promise<StorageDeploymentRow | undefined> {
  const rows = await q.query<StorageDeploymentRow>(
    `SELECT ${PUBLIC_COLUMNS} FROM storage_deployments WHERE alias = $1`,
    [alias],
  )
  return rows[0]
}

export interface NewStorageDeployment {
  cluster_id: number
  alias: string
  endpoint: string
  use_ssl: boolean
  access_key: string
  secret_key: string
  minio_deployment_id: string
  management_url: string
  sqs_arn: string
  kind: StorageKind
  region: string
  addressing: StorageAddressing
}

export async function insertStorageDeployment(
  q: Queryable,
  input: NewStorageDeployment,
): Promise<StorageDeploymentRow> {
  const [row] = await q.query<StorageDeploymentRow>(
    `INSERT INTO storage_deployments (cluster_id, alias, endpoint, use_ssl, access_key, secret_key, minio_deployment_id, management_url, sqs_arn, kind, region, addressing)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING ${PUBLIC_COLUMNS}`,
    [
      input.cluster_id,
      input.alias,
      input.endpoint,
      input.use_ssl,
      input.access_key,
      input.secret_key,
      input.minio_deployment_id,
      input.management_url,
      input.sqs_arn,
      input.kind,
      input.region,
      input.addressing,
    ],
  )
  if (!row) throw new Error('INSERT … RETURNING returned no row')
  return row
}

export async function deleteStorageDeployment(q: Queryable, id: number): Promise<boolean> {
  const rows = await q.query(
    'DELETE FROM storage_deployments WHERE storage_id = $1 RETURNING storage_id',
    [id],
  )
  return rows.length > 0
}

export async function setStorageSqsArn(q: Queryable, id: number, arn: string): Promise<void> {
  await q.query('UPDATE storage_deployments SET sqs_arn = $2 WHERE storage_id = $1', [id, arn])
}
