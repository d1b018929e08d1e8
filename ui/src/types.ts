/**
 * The admin API's JSON shapes as the page reads them: the rows and snapshot types the server
 * defines (type-only imports, erased from the bundle), with JSON's string for a Date.
 */
import type { EdgeStatus } from '../../edge/app.js'
import type { Route } from '../../edge/snapshot.js'
import type { BucketRow } from '../../control/db/buckets.js'
import type { ClusterRow } from '../../control/db/clusters.js'
import type { FaasDeploymentRow } from '../../control/db/faas-deployments.js'
import type { LoadBalancerSettings } from '../../control/db/load-balancer.js'
import type { ObjectRow } from '../../control/db/objects.js'
import type { StorageDeploymentRow } from '../../control/db/storage-deployments.js'
import type { RouteOverride } from '../../control/snapshot/compile.js'

export type { PolicyName } from '../../edge/snapshot.js'
export type { EdgeStatus, RouteOverride }
export type Cluster = ClusterRow
export type FaasDeployment = FaasDeploymentRow
export type StorageDeployment = StorageDeploymentRow
export type Bucket = BucketRow
export type StoredObject = Omit<ObjectRow, 'last_modified'> & { last_modified: string }
export type UpstreamHealth = EdgeStatus['upstreams'][number]

/** GET /api/load-balancer (control/api/load-balancer.ts loadBalancerView). */
export interface LoadBalancer {
  settings: LoadBalancerSettings
  routes: Record<string, Route>
  route_overrides: Record<string, RouteOverride>
  snapshot_version: number
  edge: EdgeStatus | null
}

/** GET /api/resources. */
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
