/**
 * What the admin API answers, described once: a zod schema per answer (for the OpenAPI document,
 * openapi.ts), the answer's type inferred from it (handlers and the admin page use these), and the
 * function that makes it from database rows. Handlers answer only these, so a column added to a
 * table — a secret, say — never leaks by accident. Shapes owned elsewhere (the route snapshot,
 * the edge's status, load-balancer settings, traffic) are checked against their types with
 * `satisfies`, so a field added there without its schema does not compile.
 */
import { z } from 'zod'
import { LOCALITY_MODES, POLICY_NAMES } from '../../edge/snapshot.js'
import { routeSchema, routeSnapshotSchema } from '../../edge/snapshot-schema.js'
import { SCOPES } from '../db/api-tokens.js'
import { DATA_PATHS } from '../agents/route.js'
import type { EdgeStatus } from '../../edge/app.js'
import type { BucketRow } from '../db/buckets.js'
import type { ClusterRow } from '../db/clusters.js'
import type { FaasDeploymentRow } from '../db/faas-deployments.js'
import type { FunctionRow } from '../db/functions.js'
import type { LoadBalancerSettings } from '../db/load-balancer.js'
import type { ObjectRow } from '../db/objects.js'
import type { StorageDeploymentRow } from '../db/storage-deployments.js'
import type { TokenRow } from '../db/api-tokens.js'
import type { AgentRow } from '../db/agents.js'
import type { RouteOverride } from '../snapshot/compile.js'
import type { TrafficView, ZoneDemand } from '../observe/traffic.js'

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
  .meta({ id: 'Cluster' })

export const faasAnswer = z
  .object({ faas_id: int, cluster_id: int, url: z.string() })
  .meta({ id: 'FaasDeployment' })

export const functionAnswer = z
  .object({
    function_id: int,
    name: z.string(),
    zones: z.array(z.string()),
    triggers: z.array(z.object({ faas_id: int, target: z.string() })),
  })
  .meta({ id: 'Function' })

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
  })

export const bucketAnswer = z
  .object({
    bucket_id: int,
    name: z.string(),
    storage_id: int,
    zones: z.array(z.string()),
    target_replica_count: int,
    replica_locations: z.array(int).nullable(),
    data_path: z
      .enum(DATA_PATHS)
      .describe(
        "'agents': the bucket's bytes never pass through control; its replicas wait for an agent (status waiting) instead of control copying them",
      ),
    replicas: z.array(
      z.object({
        storage_id: int,
        status: z
          .enum(['syncing', 'synced', 'error', 'waiting'])
          .describe('waiting: for an agent to move its bytes (error says why)'),
        error: z.string().nullable(),
        repaired_objects: int,
        last_repair_at: z.string().nullable(),
        last_full_pass_at: dateTime
          .nullable()
          .describe('when a full pass last verified this replica (null: not yet)'),
        last_full_pass_ms: int
          .nullable()
          .describe('how long that pass took: about what the next one will take'),
        last_full_pass_objects: int.nullable().describe('objects that pass compared'),
        origin: z
          .enum(['policy', 'manual', 'demand'])
          .describe(
            "what placed it: the bucket's zones and count, its manual replica_locations, or demand",
          ),
        reason: z.string().nullable().describe('why it was added on demand; null otherwise'),
      }),
    ),
    object_count: int,
    total_bytes: int,
    demand_by_zone: z
      .array(
        z.object({
          zone: z.string().nullable().describe("the edges' zone; null: edges without a zone"),
          invocations: int,
          remote: int.describe('of those, answered by a cluster outside the zone'),
          bytes: int.describe('bytes answered'),
          per_min: z.number().describe('invocations a minute over the window'),
        }),
      )
      .describe(
        'invocations of this bucket per zone of the edges that took them, over the demand window (5 minutes unless demand.window_s says otherwise), busiest first',
      ),
    demand: z
      .object({
        enabled: z.boolean(),
        min_rate_per_min: z.number(),
        window_s: int,
        ttl_s: int,
        max_replicas: int,
        size_unit_bytes: int,
      })
      .nullable()
      .describe('replicas on demand; null = off'),
    demand_held: z
      .array(z.object({ zone: z.string(), reason: z.string() }))
      .describe('zones over the demand threshold that got no replica, and why'),
    demand_decisions: z
      .array(
        z.object({
          at: z.string(),
          action: z.enum(['add', 'remove']),
          zone: z.string(),
          storage_id: int.nullable(),
          reason: z.string(),
        }),
      )
      .describe('the last replicas added or removed on demand, newest first'),
  })
  .meta({ id: 'Bucket' })

export const objectAnswer = z
  .object({
    object_id: int,
    bucket_id: int,
    name: z.string(),
    size: int,
    etag: z.string(),
    last_modified: dateTime,
  })
  .meta({ id: 'Object' })

export const objectPageAnswer = z
  .object({
    objects: z.array(objectAnswer),
    next_after: z.string().nullable().describe('pass as ?after= for the next page; null: done'),
  })
  .meta({ id: 'ObjectPage' })

const signedUrl = (method: string) =>
  z.object({
    method: z.literal(method),
    url: z.string().describe('pre-signed; no credentials needed'),
  })

export const uploadUrlAnswer = z
  .union([
    z
      .object({ bucket: z.string(), name: z.string(), expires_at: dateTime })
      .extend(signedUrl('PUT').shape)
      .describe('PUT the bytes to url'),
    z
      .object({
        bucket: z.string(),
        name: z.string(),
        expires_at: dateTime,
        method: z.literal('multipart'),
        upload_id: z.string(),
        part_bytes: int.describe('every part but the last has exactly this many bytes'),
        parts: z.array(z.object({ part_number: int, url: z.string() })),
        complete: signedUrl('POST').describe(
          'POST <CompleteMultipartUpload> with each part’s ETag once every part is uploaded',
        ),
        abort: signedUrl('DELETE'),
      })
      .describe('an S3 multipart upload, started: PUT each part, then POST the completion'),
  ])
  .meta({ id: 'UploadUrls' })

export const tokenAnswer = z
  .object({
    token_id: int,
    name: z.string(),
    scope: z.enum(SCOPES),
    storage_alias: z
      .string()
      .nullable()
      .describe('notify tokens: the storage deployment whose events the token may deliver'),
    cluster_id: int
      .nullable()
      .describe('agent tokens: the cluster whose work the token may take and report'),
    created_at: dateTime,
    last_used_at: dateTime.nullable(),
  })
  .meta({ id: 'Token' })

export const agentAnswer = z
  .object({
    agent_id: z.string(),
    cluster_id: int,
    version: z.string(),
    started_at: dateTime,
    last_seen_at: dateTime,
    live: z.boolean().describe('heard from recently: its cluster counts on it'),
    in_flight: int.describe('pieces of work it holds a lease on now'),
    bytes_moved: int,
    objects_moved: int,
    work_done: int,
    work_failed: int,
    reports_refused: int.describe('results it reported after its lease was no longer live'),
  })
  .meta({ id: 'Agent' })

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
    locality: z.enum(LOCALITY_MODES),
  })
  .meta({ id: 'LoadBalancerSettings' }) satisfies z.ZodType<LoadBalancerSettings>

export const routeOverridesAnswer = z
  .record(
    z.string(),
    z.object({
      policy: policy.optional(),
      faas_ids: z.array(int).optional(),
      allow_partial: z.boolean().optional(),
      locality: z.enum(LOCALITY_MODES).optional(),
    }),
  )
  .meta({ id: 'RouteOverrides' }) satisfies z.ZodType<Record<string, RouteOverride>>

export const snapshotAnswer = routeSnapshotSchema.meta({
  id: 'RouteSnapshot',
  description: 'the schema edges hold a snapshot to (edge/snapshot-schema.ts)',
})

const edgeStatus = z.object({
  zone: z.string().nullable().describe('the zone the edge serves from; null: not set'),
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
    routes: z.record(z.string(), routeSchema),
    route_overrides: routeOverridesAnswer,
    snapshot_version: int,
    edge: edgeStatus
      .extend({ workers: int.optional() })
      .nullable()
      .describe('the in-process edge (standalone); null when control runs alone'),
  })
  .meta({ id: 'LoadBalancer' })

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
  })

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
  .meta({ id: 'Resources' })

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
    edges: z
      .array(
        z.object({
          token_id: int
            .nullable()
            .describe("the edge token it reports with; null: this process's own edge"),
          zone: z.string().nullable().describe('the zone it served from; null: none'),
          last_report_at: dateTime,
          invocations: int.describe('reported from this zone in the last 15 minutes'),
        }),
      )
      .describe('the edges that reported in the last 15 minutes, per zone'),
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

export type ClusterView = z.infer<typeof clusterAnswer>
export type FaasDeploymentView = z.infer<typeof faasAnswer>
export type FunctionView = z.infer<typeof functionAnswer>
/** secret_key is write-only: it is never part of an answer. */
export type StorageDeploymentView = z.infer<typeof storageAnswer>
export type BucketView = z.infer<typeof bucketAnswer>
export type ReplicaView = BucketView['replicas'][number]
export type ObjectView = z.infer<typeof objectAnswer>
/** GET /api/objects?bucket=…: one page in key order; `next_after` continues it (null: done). */
export type ObjectPage = z.infer<typeof objectPageAnswer>
/** A token as listed: never its secret (shown once, in the answer that created it). */
export type TokenView = z.infer<typeof tokenAnswer>
export type AgentView = z.infer<typeof agentAnswer>
export type LoadBalancerView = z.infer<typeof loadBalancerAnswer>
export type HookView = z.infer<typeof hookAnswer>
/** Everything the admin page shows at once; objects are listed by page (ObjectPage). */
export type ResourcesView = z.infer<typeof resourcesAnswer>

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

export const bucketView = (
  r: BucketRow,
  demand: readonly ZoneDemand[] = [],
  held: readonly { zone: string; reason: string }[] = [],
): BucketView => ({
  bucket_id: r.bucket_id,
  name: r.name,
  storage_id: r.storage_id,
  zones: r.zones,
  target_replica_count: r.target_replica_count,
  replica_locations: r.replica_locations,
  data_path: r.data_path,
  replicas: r.replicas.map((x) => ({
    storage_id: x.storage_id,
    status: x.status,
    error: x.error,
    repaired_objects: x.repaired_objects,
    last_repair_at: x.last_repair_at,
    last_full_pass_at:
      x.last_full_pass_at === null ? null : new Date(x.last_full_pass_at).toISOString(),
    last_full_pass_ms: x.last_full_pass_ms,
    last_full_pass_objects:
      x.last_full_pass_objects === null ? null : Number(x.last_full_pass_objects),
    ...originOf(r, x.storage_id),
  })),
  object_count: r.object_count,
  total_bytes: r.total_bytes,
  demand_by_zone: [...demand],
  demand: r.demand,
  demand_held: [...held],
  demand_decisions: r.demand_decisions.map((d) => ({
    ...d,
    at: new Date(d.at).toISOString(),
  })),
})

/** What placed a replica: demand (with its reason) when it was not the policy's own choice. */
function originOf(
  r: BucketRow,
  storageId: number,
): { origin: 'policy' | 'manual' | 'demand'; reason: string | null } {
  const byDemand = r.demand?.enabled
    ? r.demand_replicas.find((d) => d.storage_id === storageId)
    : undefined
  if (byDemand) return { origin: 'demand', reason: byDemand.reason }
  return { origin: r.replica_locations === null ? 'policy' : 'manual', reason: null }
}

export const objectView = (r: ObjectRow): ObjectView => ({
  object_id: r.object_id,
  bucket_id: r.bucket_id,
  name: r.name,
  size: r.size,
  etag: r.etag,
  last_modified: new Date(r.last_modified).toISOString(),
})

export const agentView = (r: AgentRow, liveMs: number): AgentView => ({
  agent_id: r.agent_id,
  cluster_id: r.cluster_id,
  version: r.version,
  started_at: new Date(r.started_at).toISOString(),
  last_seen_at: new Date(r.last_seen_at).toISOString(),
  live: Date.now() - new Date(r.last_seen_at).getTime() < liveMs,
  in_flight: r.in_flight,
  bytes_moved: Number(r.bytes_moved),
  objects_moved: Number(r.objects_moved),
  work_done: Number(r.work_done),
  work_failed: Number(r.work_failed),
  reports_refused: Number(r.reports_refused),
})

export const tokenView = (r: TokenRow): TokenView => ({
  token_id: r.token_id,
  name: r.name,
  scope: r.scope,
  storage_alias: r.storage_alias,
  cluster_id: r.cluster_id,
  created_at: new Date(r.created_at).toISOString(),
  last_used_at: r.last_used_at === null ? null : new Date(r.last_used_at).toISOString(),
})
