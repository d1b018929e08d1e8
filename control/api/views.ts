/**
 * What the admin API answers: one type per resource as it travels in JSON, and the function
 * that makes it from database rows. Handlers answer only these (so a column added to a table —
 * a secret, say — never leaks by accident), and the admin page takes its types from here.
 */
import type { EdgeStatus } from '../../edge/app.js'
import type { PolicyName, Route } from '../../edge/snapshot.js'
import type { BucketRow, ReplicaStatus } from '../db/buckets.js'
import type { ClusterRow } from '../db/clusters.js'
import type { FaasDeploymentRow } from '../db/faas-deployments.js'
import type { FunctionRow } from '../db/functions.js'
import type { LoadBalancerSettings } from '../db/load-balancer.js'
import type { ObjectRow } from '../db/objects.js'
import type { StorageDeploymentRow } from '../db/storage-deployments.js'
import type { Scope, TokenRow } from '../db/api-tokens.js'
import type { RouteOverride } from '../snapshot/compile.js'
import type { HookView } from './hooks.js'

export interface ClusterView {
  cluster_id: number
  name: string
  zones: string[]
}

export interface FaasDeploymentView {
  faas_id: number
  cluster_id: number
  url: string
}

export interface FunctionView {
  function_id: number
  name: string
  /** Zones a cluster must have (every one) to run the function. */
  zones: string[]
  /** Per FaaS deployment: a path appended to its URL, or an absolute URL. */
  triggers: { faas_id: number; target: string }[]
}

/** secret_key is write-only: it is never part of an answer. */
export interface StorageDeploymentView {
  storage_id: number
  cluster_id: number
  alias: string
  endpoint: string
  use_ssl: boolean
  access_key: string
  minio_deployment_id: string
  management_url: string
  /** The webhook target the deployment notifies FaDO through ('' = none). */
  sqs_arn: string
  kind: 'minio' | 's3'
  region: string
  addressing: 'path' | 'virtual'
}

export interface ReplicaView {
  storage_id: number
  status: ReplicaStatus
  error: string | null
  /** Replica objects changed or added behind FaDO's back, repaired from the master. */
  repaired_objects: number
  last_repair_at: string | null
}

export interface BucketView {
  bucket_id: number
  name: string
  storage_id: number
  zones: string[]
  target_replica_count: number
  replica_locations: number[] | null
  replicas: ReplicaView[]
  /** Objects on the master (as FaDO last indexed it) and their total size. */
  object_count: number
  total_bytes: number
}

export interface ObjectView {
  object_id: number
  bucket_id: number
  name: string
  size: number
  etag: string
  /** ISO 8601. */
  last_modified: string
}

export interface LoadBalancerView {
  settings: LoadBalancerSettings
  routes: Record<string, Route>
  route_overrides: Record<string, RouteOverride>
  snapshot_version: number
  /** The in-process edge's view (standalone): served version and upstream health; else null. */
  edge: EdgeStatus | null
}

/** A token as listed: never its secret (shown once, in the answer that created it). */
export interface TokenView {
  token_id: number
  name: string
  scope: Scope
  storage_alias: string | null
  created_at: string
  last_used_at: string | null
}

/** Everything the admin page shows at once; objects are listed by page (ObjectPage). */
export interface ResourcesView {
  clusters: ClusterView[]
  faas_deployments: FaasDeploymentView[]
  functions: FunctionView[]
  storage_deployments: StorageDeploymentView[]
  buckets: BucketView[]
  load_balancer: LoadBalancerView
  /** Snapshot publish hooks and their delivery state. */
  hooks: HookView[]
}

/** GET /api/objects?bucket=…: one page in key order; `next_after` continues it (null: done). */
export interface ObjectPage {
  objects: ObjectView[]
  next_after: string | null
}

export type { EdgeStatus, HookView, LoadBalancerSettings, PolicyName, Route, RouteOverride, Scope }

export const clusterView = (r: ClusterRow): ClusterView => ({
  cluster_id: r.cluster_id,
  name: r.name,
  zones: r.zones,
})

export const faasView = (r: FaasDeploymentRow): FaasDeploymentView => ({
  faas_id: r.faas_id,
  cluster_id: r.cluster_id,
  url: r.url,
})

export const functionView = (r: FunctionRow): FunctionView => ({
  function_id: r.function_id,
  name: r.name,
  zones: r.zones,
  triggers: r.triggers.map((t) => ({ faas_id: t.faas_id, target: t.target })),
})

export const storageView = (r: StorageDeploymentRow): StorageDeploymentView => ({
  storage_id: r.storage_id,
  cluster_id: r.cluster_id,
  alias: r.alias,
  endpoint: r.endpoint,
  use_ssl: r.use_ssl,
  access_key: r.access_key,
  minio_deployment_id: r.minio_deployment_id,
  management_url: r.management_url,
  sqs_arn: r.sqs_arn,
  kind: r.kind,
  region: r.region,
  addressing: r.addressing,
})

export const bucketView = (r: BucketRow): BucketView => ({
  bucket_id: r.bucket_id,
  name: r.name,
  storage_id: r.storage_id,
  zones: r.zones,
  target_replica_count: r.target_replica_count,
  replica_locations: r.replica_locations,
  replicas: r.replicas.map((x) => ({
    storage_id: x.storage_id,
    status: x.status,
    error: x.error,
    repaired_objects: x.repaired_objects,
    last_repair_at: x.last_repair_at,
  })),
  object_count: r.object_count,
  total_bytes: r.total_bytes,
})

export const objectView = (r: ObjectRow): ObjectView => ({
  object_id: r.object_id,
  bucket_id: r.bucket_id,
  name: r.name,
  size: r.size,
  etag: r.etag,
  last_modified: new Date(r.last_modified).toISOString(),
})

export const tokenView = (r: TokenRow): TokenView => ({
  token_id: r.token_id,
  name: r.name,
  scope: r.scope,
  storage_alias: r.storage_alias,
  created_at: new Date(r.created_at).toISOString(),
  last_used_at: r.last_used_at === null ? null : new Date(r.last_used_at).toISOString(),
})
