/** The admin API's JSON shapes, as the page reads them (DESIGN.md "Admin API"). */
export interface Cluster {
  cluster_id: number
  name: string
  zones: string[]
}

export interface FaasDeployment {
  faas_id: number
  cluster_id: number
  url: string
}

export interface StorageDeployment {
  storage_id: number
  cluster_id: number
  alias: string
  endpoint: string
  use_ssl: boolean
  access_key: string
  minio_deployment_id: string
  management_url: string
  sqs_arn: string
}

export type ReplicaStatus = 'syncing' | 'synced' | 'error'

export interface Bucket {
  bucket_id: number
  name: string
  storage_id: number
  zones: string[]
  target_replica_count: number
  replica_locations: number[] | null
  replicas: { storage_id: number; status: ReplicaStatus; error: string | null }[]
}

export interface StoredObject {
  object_id: number
  bucket_id: number
  name: string
  size: number
  etag: string
  last_modified: string
}

export interface Upstream {
  id: number
  url: string
  cluster: string
}

export interface Route {
  policy: string
  upstreams: Upstream[]
}

export interface RouteOverride {
  policy?: string
  faas_ids?: number[]
}

export interface UpstreamHealth {
  id: number
  inflight: number
  latency_ms: number | null
  healthy: boolean
  consecutive_failures: number
  ejected_until: string | null
}

export interface EdgeStatus {
  snapshot_version: number
  generated_at: string | null
  applied_at: string | null
  routes: number
  upstreams: UpstreamHealth[]
}

export interface LoadBalancer {
  settings: { default_policy: string; match_header: string }
  routes: Record<string, Route>
  route_overrides: Record<string, RouteOverride>
  snapshot_version: number
  edge: EdgeStatus | null
}

export interface Resources {
  clusters: Cluster[]
  faas_deployments: FaasDeployment[]
  storage_deployments: StorageDeployment[]
  buckets: Bucket[]
  objects: StoredObject[]
  load_balancer: LoadBalancer
}

/** The edge's load-balancing policies: the snapshot contract's list (pure, no I/O). */
export { POLICY_NAMES as POLICIES } from '../../edge/snapshot.js'
