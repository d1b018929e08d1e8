/**
 * The admin API's JSON shapes as the page reads them: the API's own answer types
 * (control/api/answers.ts, inferred from its schemas; type-only imports, erased from the bundle).
 */
import type { EdgeStatus } from '../../edge/app.js'
import type { RouteOverride } from '../../control/snapshot/compile.js'
import type {
  BucketView,
  ClusterView,
  FaasDeploymentView,
  FunctionView,
  LoadBalancerView,
  ObjectPage,
  ObjectView,
  ResourcesView,
  StorageDeploymentView,
  TokenView,
} from '../../control/api/answers.js'

export type { AgentView, HookView } from '../../control/api/answers.js'
export type { LoadBalancerSettings } from '../../control/db/load-balancer.js'
export type { Scope } from '../../control/db/api-tokens.js'
export type { PolicyName } from '../../edge/snapshot.js'
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
