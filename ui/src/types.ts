/**
 * The admin API's JSON shapes as the page reads them: the API's own answer types
 * (control/api/views.ts; type-only imports, erased from the bundle).
 */
import type {
  BucketView,
  ClusterView,
  EdgeStatus,
  FaasDeploymentView,
  FunctionView,
  LoadBalancerView,
  ObjectPage,
  ObjectView,
  ResourcesView,
  RouteOverride,
  StorageDeploymentView,
  TokenView,
} from '../../control/api/views.js'

export type { HookView, LoadBalancerSettings, PolicyName, Scope } from '../../control/api/views.js'
export type Token = TokenView
export type { TrafficView } from '../../control/observe/traffic.js'
export type { EdgeStatus, RouteOverride }
export type Cluster = ClusterView
export type FaasDeployment = FaasDeploymentView
export type FunctionDef = FunctionView
export type StorageDeployment = StorageDeploymentView
export type Bucket = BucketView
export type StoredObject = ObjectView
export type UpstreamHealth = EdgeStatus['upstreams'][number]
export type LoadBalancer = LoadBalancerView
export type Resources = ResourcesView
export type { ObjectPage }

/** The edge's load-balancing policies: the snapshot contract's list (pure, no I/O). */
export { POLICY_NAMES as POLICIES } from '../../edge/snapshot.js'
