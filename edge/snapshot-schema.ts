/**
 * The route snapshot's one description: a zod schema that the snapshot's types are inferred from
 * (snapshot.ts), that control's OpenAPI document shows, and that a test holds the edge's own check
 * to (snapshot-schema.test.ts: both accept the same documents, and refuse the same ones naming the
 * same field). Each field's rule comes from snapshot-rules.ts, as the edge's check reads it.
 *
 * The edge imports this module for types only: validating with zod took 2–5× as long as the
 * edge's hand-written check on 1,000–10,000 routes (bench/README.md), and would put zod in the
 * Workers bundle. Pure: no I/O.
 */
import * as z from 'zod'
import {
  BOUNDS,
  DEFAULT_EDGE_SETTINGS,
  DEFAULT_FUNCTION_HEADER,
  FAAS_ID_KEY,
  HEADER_NAME,
  HEALTH_PATH,
  isHashBalanceFactor,
  isTriggerTarget,
  LINEAGE,
  LOCALITY_MODES,
  POLICY_NAMES,
  UPSTREAM_URL,
  ZONE,
} from './snapshot-rules.js'

/** What each field must be, as a refused snapshot's reason says it. */
const must = (what: string) => ({ error: `must be ${what}` })

const integer = (range: readonly [number, number], what: string) =>
  z
    .number(must(what))
    .check(
      z.refine(Number.isSafeInteger, must(what)),
      z.gte(range[0], must(what)),
      z.lte(range[1], must(what)),
    )
const headerName = z
  .string(must('a header name'))
  .check(z.regex(HEADER_NAME, must('a header name')))
const policy = z.enum(POLICY_NAMES, must('a known policy'))
const locality = z.enum(LOCALITY_MODES, must("'prefer' or 'off'"))
const zones = z.array(
  z.string(must('an array of zone names')).check(z.regex(ZONE, must('an array of zone names'))),
  must('an array of zone names'),
)
const record = <V extends z.ZodType>(value: V) => z.record(z.string(), value, must('an object'))

export const upstreamSchema = z.object(
  {
    /** The FaaS deployment id: health state at the edge is keyed by it and survives swaps. */
    id: integer([Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER], 'an integer'),
    /** http or https, maybe with a path prefix, no trailing slash. */
    url: z
      .string(must('an http(s) URL without query'))
      .check(z.regex(UPSTREAM_URL, must('an http(s) URL without query'))),
    /** Cluster name, returned to clients as X-FaDO-Cluster. */
    cluster: z.string(must('a string')),
  },
  must('an object'),
)

export const routeSchema = z.object(
  {
    policy,
    upstreams: z.array(upstreamSchema, must('an array')),
    /**
     * The bucket's size (two significant digits, so growth does not churn versions): what "data
     * gravity" weighs when no cluster holds every bucket an invocation names. Absent = unknown (0).
     */
    bytes: z.optional(z.number(must('a size in bytes')).check(z.gte(0, must('a size in bytes')))),
    /** Overrides settings.allow_partial for invocations naming this bucket with others. */
    allow_partial: z.optional(z.boolean(must('a boolean'))),
    /** Overrides settings.locality for this bucket. */
    locality: z.optional(locality),
  },
  must('an object'),
)

/** Active health checks: an upstream is probed at `path` (appended to its URL) every interval. */
export const healthCheckSchema = z.object(
  {
    path: z
      .string(must('a path starting with /'))
      .check(z.regex(HEALTH_PATH, must('a path starting with /'))),
    interval_ms: integer(BOUNDS.interval_ms, 'from 100 to 3600000'),
    timeout_ms: integer(BOUNDS.timeout_ms, 'from 10 to 60000'),
    /** Consecutive successes that make an unhealthy upstream healthy again. */
    healthy_threshold: integer(BOUNDS.threshold, '1 to 100'),
    /** Consecutive failures that take an upstream out. */
    unhealthy_threshold: integer(BOUNDS.threshold, '1 to 100'),
  },
  must('an object or null'),
)

/** How edges forward, beyond routes (load-balancer settings). */
export const edgeSettingsSchema = z.object(
  {
    /** Further upstreams tried after the first fails (where retrying is safe). */
    retries: integer(BOUNDS.retries, '0 to 10'),
    /** Share of requests that may be retried, 0..1: retries never multiply load on a failing cluster. */
    retry_budget: z
      .number(must('from 0 to 1'))
      .check(z.gte(0, must('from 0 to 1')), z.lte(1, must('from 0 to 1'))),
    /** `hash` with bounded load: a key moves on when its upstream has more than this × the mean load (0 = off). */
    hash_balance_factor: z
      .number(must('0 or above 1'))
      .check(z.refine(isHashBalanceFactor, must('0 or above 1'))),
    /** null = passive health checks only. */
    health_check: z.nullable(healthCheckSchema),
    /** May an invocation naming several buckets go to the cluster holding most of their bytes? */
    allow_partial: z._default(z.boolean(must('a boolean')), true),
    /**
     * 'prefer': an edge that knows its zone picks among upstreams in clusters with that zone while
     * one is available and not overloaded (locality.ts); 'off': zones do not matter.
     */
    locality: z._default(locality, 'prefer'),
  },
  must('an object'),
)

export const functionSpecSchema = z.object(
  {
    /** Zones a cluster must have (every one) to run the function. */
    zones,
    /** FaaS deployment id (decimal) → trigger target: a path under its URL, or an absolute URL. */
    triggers: z.record(
      z.string().check(z.regex(FAAS_ID_KEY, must('FaaS deployment ids'))),
      z
        .string(must('a path or an http(s) URL'))
        .check(z.refine(isTriggerTarget, must('a path or an http(s) URL'))),
      must('an object'),
    ),
  },
  must('an object'),
)

export const clusterInfoSchema = z.object({ zones }, must('an object'))

/** What a snapshot says, without its version stamp: compared to decide whether to publish. */
export const routeTableSchema = z.object(
  {
    match_header: headerName,
    /** The header naming the function an invocation calls (absent: bucket-only routing). */
    function_header: z._default(headerName, DEFAULT_FUNCTION_HEADER),
    default_policy: policy,
    routes: record(routeSchema),
    /** Absent in snapshots from before settings existed. */
    settings: z._default(edgeSettingsSchema, DEFAULT_EDGE_SETTINGS),
    /** Cluster name → its zones: what function and invocation zone constraints are checked against. */
    clusters: z._default(record(clusterInfoSchema), {}),
    /** Function name → required zones and triggers; routes are not multiplied by functions. */
    functions: z._default(record(functionSpecSchema), {}),
  },
  must('an object'),
)

export const routeSnapshotSchema = routeTableSchema.extend({
  /**
   * The identity of the database the snapshot came from. Versions only grow within a lineage; a
   * control restored or reset starts a new one (and may start its versions at 1 again).
   */
  lineage: z.string(must('an identifier')).check(z.regex(LINEAGE, must('an identifier'))),
  /** Only grows within a lineage. */
  version: integer([1, Number.MAX_SAFE_INTEGER], 'a positive integer'),
  generated_at: z
    .string(must('a date'))
    .check(z.refine((d) => !Number.isNaN(Date.parse(d)), must('a date'))),
})

/** A refused document's first problem, naming the field: `routes.images.upstreams[0].url must be …`. */
export function firstProblem(error: z.core.$ZodError): string {
  const issue = error.issues[0]
  if (!issue) return 'invalid'
  const path = issue.code === 'invalid_key' ? issue.path.slice(0, -1) : issue.path
  let where = ''
  for (const key of path)
    where += typeof key === 'number' ? `[${key}]` : where === '' ? String(key) : `.${String(key)}`
  if (issue.code === 'invalid_key') return `${where} keys ${issue.issues[0]?.message ?? 'invalid'}`
  return where === '' ? 'not an object' : `${where} ${issue.message}`
}

export type UpstreamShape = z.output<typeof upstreamSchema>
export type RouteShape = z.output<typeof routeSchema>
export type HealthCheckShape = z.output<typeof healthCheckSchema>
export type EdgeSettingsShape = z.output<typeof edgeSettingsSchema>
export type FunctionSpecShape = z.output<typeof functionSpecSchema>
export type ClusterInfoShape = z.output<typeof clusterInfoSchema>
export type RouteTableShape = z.output<typeof routeTableSchema>
