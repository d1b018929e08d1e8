/**
 * /api/load-balancer: global routing settings (default policy, match header), per-bucket route
 * overrides, and the routes edges currently serve (from the newest published snapshot).
 */
import { Hono } from 'hono'
import { z } from 'zod'
import { HEADER_NAME, LOCALITY_MODES, POLICY_NAMES } from '../../edge/snapshot.js'
import { listBucketNames } from '../db/buckets.js'
import type { Queryable } from '../db/client.js'
import { listFaasDeployments } from '../db/faas-deployments.js'
import {
  getRouteOverrides,
  getSettings,
  setRouteOverrides,
  setSettings,
} from '../db/load-balancer.js'
import { invalidField } from '../lib/errors.js'
import type { RouteOverride } from '../snapshot/compile.js'
import type { ApiDeps } from './deps.js'
import { between, id, parseBody } from './validate.js'
import type { LoadBalancerView } from './answers.js'

const policy = z.enum(POLICY_NAMES, { error: `must be one of ${POLICY_NAMES.join(', ')}` })
const locality = z.enum(LOCALITY_MODES, { error: "must be 'prefer' or 'off'" })
const matchHeader = z
  .string({ error: 'must be a string' })
  .trim()
  .min(1, { error: 'must not be empty' })
  .max(128, { error: 'at most 128 characters' })
  .regex(HEADER_NAME, { error: 'must be a valid HTTP header name' })
  .refine((h) => !/^(host|content-length|transfer-encoding|connection|authorization)$/i.test(h), {
    error: 'must not be a header that HTTP itself uses',
  })

const healthCheck = z
  .strictObject({
    path: z
      .string({ error: 'must be a string' })
      .regex(/^\/[^\s#]*$/, { error: "must be a path starting with '/'" })
      .max(1024, { error: 'at most 1024 characters' }),
    interval_ms: between(100, 3_600_000).default(5_000),
    timeout_ms: between(10, 60_000).default(1_000),
    healthy_threshold: between(1, 100).default(2),
    unhealthy_threshold: between(1, 100).default(3),
  })
  .refine((h) => h.timeout_ms < h.interval_ms, {
    error: 'timeout_ms must be shorter than interval_ms',
    path: ['timeout_ms'],
  })

export const settingsBody = z.strictObject({
  default_policy: policy.optional(),
  match_header: matchHeader.optional(),
  retries: between(0, 10).optional(),
  retry_budget: between(0, 1, false, 'must be a share of requests from 0 to 1').optional(),
  hash_balance_factor: z
    .number({ error: 'must be 0 (off) or a factor above 1, e.g. 1.25' })
    .refine((f) => f === 0 || (f > 1 && f <= 100), {
      error: 'must be 0 (off) or a factor above 1, e.g. 1.25',
    })
    .optional(),
  health_check: healthCheck.nullable().optional(),
  function_header: matchHeader.optional(),
  allow_partial: z.boolean({ error: 'must be true or false' }).optional(),
  locality: locality.optional(),
})

export const overridesBody = z.record(
  z.string(),
  z
    .strictObject({
      policy: policy.optional(),
      faas_ids: z
        .array(id, { error: 'must be an array of FaaS deployment ids' })
        .min(1, { error: 'must name at least one FaaS deployment' })
        .refine((ids) => new Set(ids).size === ids.length, { error: 'must not repeat an id' })
        .optional(),
      allow_partial: z.boolean({ error: 'must be true or false' }).optional(),
      locality: locality.optional(),
    })
    .refine(
      (o) =>
        o.policy !== undefined ||
        o.faas_ids !== undefined ||
        o.allow_partial !== undefined ||
        o.locality !== undefined,
      { error: 'must set policy, faas_ids, allow_partial, locality or several' },
    ),
  { error: 'must be an object keyed by bucket name' },
)

/** Every bucket and FaaS id an override names must exist; checked in the same transaction. */
async function checkOverrides(q: Queryable, overrides: Record<string, RouteOverride>) {
  const buckets = new Set(await listBucketNames(q))
  const faas = new Set((await listFaasDeployments(q)).map((f) => f.faas_id))
  for (const [bucket, override] of Object.entries(overrides)) {
    if (!buckets.has(bucket)) throw invalidField(bucket, 'no bucket with this name')
    const missing = override.faas_ids?.find((faasId) => !faas.has(faasId))
    if (missing !== undefined) {
      throw invalidField(`${bucket}.faas_ids`, `no FaaS deployment with id ${missing}`)
    }
  }
}

export function loadBalancerApi(deps: ApiDeps): Hono {
  const { db, changes } = deps
  return new Hono()
    .get('/', async (c) => c.json(await loadBalancerView(db, deps)))
    .get('/settings', async (c) => c.json(await getSettings(db)))
    .put('/settings', async (c) => {
      const input = await parseBody(c, settingsBody)
      const settings = await changes.commit(async (tx, changed) => {
        const next = { ...(await getSettings(tx)), ...stripUndefined(input) }
        if (next.function_header.toLowerCase() === next.match_header.toLowerCase())
          throw invalidField(
            input.function_header !== undefined ? 'function_header' : 'match_header',
            'the bucket and function headers must differ',
          )
        await setSettings(tx, next)
        changed({ routes: true })
        return next
      })
      return c.json(settings)
    })
    .get('/route-overrides', async (c) => c.json(await getRouteOverrides(db)))
    .put('/route-overrides', async (c) => {
      const input = await parseBody(c, overridesBody)
      const overrides = Object.fromEntries(
        Object.entries(input).map(([bucket, o]) => [bucket, stripUndefined(o)]),
      )
      await changes.commit(async (tx, changed) => {
        await checkOverrides(tx, overrides)
        await setRouteOverrides(tx, overrides)
        changed({ routes: true })
      })
      return c.json(overrides)
    })
}

export async function loadBalancerView(
  db: Queryable,
  { publisher, edgeStatus }: Pick<ApiDeps, 'publisher' | 'edgeStatus'>,
): Promise<LoadBalancerView> {
  const snapshot = publisher.current
  return {
    settings: await getSettings(db),
    routes: snapshot?.routes ?? {},
    route_overrides: await getRouteOverrides(db),
    snapshot_version: snapshot?.version ?? 0,
    /** The in-process edge's view (standalone): served version and upstream health; else null. */
    edge: edgeStatus?.() ?? null,
  }
}

function stripUndefined<T extends object>(value: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]: Exclude<T[K], undefined>
  }
}
