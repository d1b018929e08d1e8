/**
 * The admin API's answers as zod schemas, for its OpenAPI document (openapi.ts). Each is checked
 * against the answer type the handlers build (views.ts) at compile time (`satisfies`), so a field
 * added to an answer without its schema does not compile.
 */
import { z } from 'zod'
import { POLICY_NAMES } from '../../edge/snapshot.js'
import type { RouteSnapshot } from '../../edge/snapshot.js'
import { SCOPES } from '../db/api-tokens.js'
import type {
  BucketView,
  ClusterView,
  EdgeStatus,
  FaasDeploymentView,
  FunctionView,
  LoadBalancerSettings,
  LoadBalancerView,
  ObjectPage,
  ObjectView,
  ResourcesView,
  RouteOverride,
  StorageDeploymentView,
  TokenView,
} from './views.js'
import type { TrafficView } from '../observe/traffic.js'
import type { HookView } from './hooks.js'

const int = z.number().int()
const dateTime = z.string().describe('ISO 8601 date and time')
const policy = z.enum(POLICY_NAMES)

export const errorAnswer = z
  .object({
    error: z.object({
      code: z.string().describe('stable, for programs: invalid_field, not_found, conflict, …'),
      message: z.string().describe('for people; names the field at fault'),
      field: z.string().optional().describe('the request field at fault (400, 409)'),
    }),
  })
  .meta({ id: 'Error' })

export const clusterAnswer = z
  .object({ cluster_id: int, name: z.string(), zones: z.array(z.string()) })
  .meta({ id: 'Cluster' }) satisfies z.ZodType<ClusterView>

export const faasAnswer = z
  .object({ faas_id: int, cluster_id: int, url: z.string() })
  .meta({ id: 'FaasDeployment' }) satisfies z.ZodType<FaasDeploymentView>

export const functionAnswer = z
  .object({
    function_id: int,
    name: z.string(),
    zones: z.array(z.string()),
    triggers: z.array(z.object({ faas_id: int, target: z.string() })),
  })
  .meta({ id: 'Function' }) satisfies z.ZodType<FunctionView>

export const storageAnswer = z
  .object({
    storage_id: int,
    cluster_id: int,
    alias: z.string(),
    endpoint: z.string(),
    use_ssl: z.boolean(),
    access_key: z.string(),
    minio_deployment_id: z.string(),
    management_url: z.string(),
    sqs_arn: z.string(),
    kind: z.enum(['minio', 's3']),
    region: z.string(),
    addressing: z.enum(['path', 'virtual']),
  })
  .meta({
    id: 'StorageDeployment',
    description: 'secret_key is write-only: never part of an answer',
  }) satisfies z.ZodType<StorageDeploymentView>

export const bucketAnswer = z
  .object({
    bucket_id: int,
    name: z.string(),
    storage_id: int,
    zones: z.array(z.string()),
    target_replica_count: int,
    replica_locations: z.array(int).nullable(),
    replicas: z.array(
      z.object({
        storage_id: int,
        status: z.enum(['syncing', 'synced', 'error']),
        error: z.string().nullable(),
        repaired_objects: int,
        last_repair_at: z.string().nullable(),
      }),
    ),
    object_count: int,
    total_bytes: int,
  })
  .meta({ id: 'Bucket' }) satisfies z.ZodType<BucketView>

export const objectAnswer = z
  .object({
    object_id: int,
    bucket_id: int,
    name: z.string(),
    size: int,
    etag: z.string(),
    last_modified: dateTime,
  })
  .meta({ id: 'Object' }) satisfies z.ZodType<ObjectView>

export const objectPageAnswer = z
  .object({
    objects: z.array(objectAnswer),
    next_after: z.string().nullable().describe('pass as ?after= for the next page; null: done'),
  })
  .meta({ id: 'ObjectPage' }) satisfies z.ZodType<ObjectPage>

export const tokenAnswer = z
  .object({
    token_id: int,
    name: z.string(),
    scope: z.enum(SCOPES),
    storage_alias: z
      .string()
      .nullable()
      .describe('notify tokens: the storage deployment whose events the token may deliver'),
    created_at: dateTime,
    last_used_at: dateTime.nullable(),
  })
  .meta({ id: 'Token' }) satisfies z.ZodType<TokenView>

export const createdTokenAnswer = tokenAnswer
  .extend({ token: z.string().describe('the secret: shown in this answer only') })
  .meta({ id: 'CreatedToken' })

const healthCheck = z.object({
  path: z.string(),
  interval_ms: int,
  timeout_ms: int,
  healthy_threshold: int,
  unhealthy_threshold: int,
})

export const settingsAnswer = z
  .object({
    default_policy: policy,
    match_header: z.string(),
    function_header: z.string(),
    retries: int,
    retry_budget: z.number(),
    hash_balance_factor: z.number(),
    health_check: healthCheck.nullable(),
    allow_partial: z.boolean(),
  })
  .meta({ id: 'LoadBalancerSettings' }) satisfies z.ZodType<LoadBalancerSettings>

const upstream = z.object({ id: int, url: z.string(), cluster: z.string() })
const route = z.object({
  policy,
  upstreams: z.array(upstream),
  bytes: z.number().optional(),
  allow_partial: z.boolean().optional(),
})

export const routeOverridesAnswer = z
  .record(
    z.string(),
    z.object({
      policy: policy.optional(),
      faas_ids: z.array(int).optional(),
      allow_partial: z.boolean().optional(),
    }),
  )
  .meta({ id: 'RouteOverrides' }) satisfies z.ZodType<Record<string, RouteOverride>>

export const snapshotAnswer = z
  .object({
    lineage: z.string(),
    version: int,
    generated_at: dateTime,
    match_header: z.string(),
    function_header: z.string(),
    default_policy: policy,
    routes: z.record(z.string(), route),
    settings: settingsAnswer.omit({
      default_policy: true,
      match_header: true,
      function_header: true,
    }),
    clusters: z.record(z.string(), z.object({ zones: z.array(z.string()) })),
    functions: z.record(
      z.string(),
      z.object({ zones: z.array(z.string()), triggers: z.record(z.string(), z.string()) }),
    ),
  })
  .meta({ id: 'RouteSnapshot' }) satisfies z.ZodType<RouteSnapshot>

const edgeStatus = z.object({
  snapshot_version: int,
  lineage: z.string().nullable(),
  generated_at: z.string().nullable(),
  applied_at: z.string().nullable(),
  refused: z
    .object({
      version: int.nullable(),
      lineage: z.string().nullable(),
      reason: z.string(),
      at: z.string(),
    })
    .nullable(),
  match_header: z.string().nullable(),
  routes: int,
  retry_budget_tokens: z.number().nullable(),
  upstreams: z.array(
    z.object({
      id: int,
      inflight: int,
      latency_ms: z.number().nullable(),
      healthy: z.boolean(),
      consecutive_failures: int,
      ejected_until: z.string().nullable(),
      probe: z.enum(['healthy', 'unhealthy']).nullable(),
    }),
  ),
}) satisfies z.ZodType<EdgeStatus>

export const loadBalancerAnswer = z
  .object({
    settings: settingsAnswer,
    routes: z.record(z.string(), route),
    route_overrides: routeOverridesAnswer,
    snapshot_version: int,
    edge: edgeStatus
      .extend({ workers: int.optional() })
      .nullable()
      .describe('the in-process edge (standalone); null when control runs alone'),
  })
  .meta({ id: 'LoadBalancer' }) satisfies z.ZodType<LoadBalancerView>

export const hookAnswer = z
  .object({
    hook_id: int,
    kind: z.enum(['webhook', 'cloudflare-kv']),
    url: z
      .string()
      .describe(
        'webhook: where snapshots are POSTed; cloudflare-kv: API base URL ("" = Cloudflare)',
      ),
    account_id: z.string(),
    namespace_id: z.string(),
    created_at: dateTime,
    status: z.enum(['delivered', 'failing', 'pending']),
    delivered_version: int.nullable(),
    delivered_at: dateTime.nullable(),
    attempts: int.describe('failed attempts since the last delivery'),
    last_attempt_at: dateTime.nullable(),
    last_error: z.string().nullable(),
  })
  .meta({
    id: 'Hook',
    description: 'the secret (webhook secret, API token) is write-only: never part of an answer',
  }) satisfies z.ZodType<HookView>

export const resourcesAnswer = z
  .object({
    clusters: z.array(clusterAnswer),
    faas_deployments: z.array(faasAnswer),
    functions: z.array(functionAnswer),
    storage_deployments: z.array(storageAnswer),
    buckets: z.array(bucketAnswer),
    load_balancer: loadBalancerAnswer,
    hooks: z.array(hookAnswer),
  })
  .meta({ id: 'Resources' }) satisfies z.ZodType<ResourcesView>

const series = z.object({
  invocations: z.array(int).describe('per 10-second slot, oldest first'),
  errors: z.array(int),
  p50_ms: z.array(z.number().nullable()),
  p99_ms: z.array(z.number().nullable()),
})

export const trafficAnswer = z
  .object({
    slot_seconds: int,
    until: dateTime.describe('when the newest slot began'),
    buckets: z.record(
      z.string(),
      series.extend({
        backlog: z.array(int).describe('objects pending replication, the slot’s highest'),
        lag_max_s: z.array(z.number().nullable()),
      }),
    ),
    clusters: z.record(z.string(), series),
  })
  .nullable()
  .meta({ id: 'Traffic' }) satisfies z.ZodType<TrafficView | null>

export const edgeStatsAnswer = z.object({
  received: int,
  kept: int.describe('entries naming buckets and clusters of the newest snapshot'),
})

export const notifyAnswer = z.object({
  received: int.describe('records in the request'),
  applied: int.describe('records about buckets FaDO tracks as masters'),
  refused: int.describe(
    "records naming another storage deployment than the notify token's (counted in /metrics)",
  ),
})

export const healthAnswer = z.object({
  status: z.enum(['ok', 'unavailable']),
  snapshot_version: int.optional(),
  error: errorAnswer.shape.error.optional(),
})
