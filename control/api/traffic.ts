/**
 * /api/traffic: the last 15 minutes of invocations (per bucket and per cluster: count, errors,
 * p50/p99 latency) and replication (per bucket: backlog, lag), in 10-second slots, for the admin
 * page's charts. /api/edge-stats: where a `fado edge` reports what it counted (edge-scope token);
 * the in-process edge of standalone reports directly. Names an edge reports that the newest
 * snapshot does not know are dropped, so nobody can grow the series without bound.
 */
import { Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { z } from 'zod'
import { ZONE } from '../../edge/snapshot-rules.js'
import {
  entryKey,
  LATENCY_BOUNDS_MS,
  MAX_REPORT_COUNT,
  MAX_REPORT_ENTRIES,
  type StatsEntry,
} from '../../edge/invocation-stats.js'
import { FadoError, tooLarge } from '../lib/errors.js'
import type { AuthVariables } from './auth.js'
import type { ApiDeps } from './deps.js'
import { parseBody } from './validate.js'

const count = z
  .number({ error: 'must be a whole number' })
  .int({ error: 'must be a whole number' })
  .min(0, { error: 'must not be negative' })
  .max(MAX_REPORT_COUNT, { error: `at most ${MAX_REPORT_COUNT}` })

const entry = z
  .strictObject({
    bucket: z.string({ error: 'must be a string' }).max(200),
    cluster: z.string({ error: 'must be a string' }).max(200),
    zone: z
      .union([z.literal(''), z.string().regex(ZONE)], { error: 'must be a zone name or empty' })
      .default(''),
    count,
    errors: count,
    remote: count.default(0),
    bytes: z
      .number({ error: 'must be a whole number' })
      .int({ error: 'must be a whole number' })
      .min(0, { error: 'must not be negative' })
      .max(Number.MAX_SAFE_INTEGER, { error: 'too large' })
      .default(0),
    // Plain numbers here, checked in the loop below: a zod schema per element made a report of
    // 1,000 entries cost ~20 ms of control's main thread instead of ~3.
    hist: z
      .array(z.number({ error: 'must be whole numbers' }))
      .length(LATENCY_BOUNDS_MS.length + 1, {
        error: `must have ${LATENCY_BOUNDS_MS.length + 1} latency buckets`,
      })
      .describe(`whole numbers from 0 to ${MAX_REPORT_COUNT}`),
  })
  .superRefine((e, ctx) => {
    for (const [j, h] of e.hist.entries())
      if (!Number.isInteger(h) || h < 0 || h > MAX_REPORT_COUNT) {
        ctx.addIssue({
          code: 'custom',
          path: ['hist', j],
          message: `must be a whole number from 0 to ${MAX_REPORT_COUNT}`,
        })
        return
      }
    if (e.errors > e.count)
      ctx.addIssue({ code: 'custom', path: ['errors'], message: 'must not exceed count' })
    if (e.remote > e.count)
      ctx.addIssue({ code: 'custom', path: ['remote'], message: 'must not exceed count' })
    if (e.hist.reduce((a, b) => a + b, 0) !== e.count)
      ctx.addIssue({ code: 'custom', path: ['hist'], message: 'must add up to count' })
  })

export const edgeStatsBody = z.strictObject({
  entries: z
    .array(entry, { error: 'must be an array of invocation figures' })
    .max(MAX_REPORT_ENTRIES, { error: `at most ${MAX_REPORT_ENTRIES} entries` })
    .superRefine((entries, ctx) => {
      const seen = new Set<string>()
      for (const [i, e] of entries.entries()) {
        const key = entryKey(e)
        if (seen.has(key))
          ctx.addIssue({
            code: 'custom',
            path: [i, 'cluster'],
            message: 'repeats an earlier entry of the same bucket, cluster and zone',
          })
        seen.add(key)
      }
    }),
})

/** The largest report body: MAX_REPORT_ENTRIES entries are about 170 KB. */
export const MAX_REPORT_BYTES = 256 * 1024
/** Reports one edge token may send: a burst, then this many a second (an edge sends one in 5 s). */
const REPORT_BURST = 20
const REPORTS_PER_SECOND = 4

export function trafficApi({ traffic, publisher }: ApiDeps) {
  // Per token: what is left of its burst, and when it was last refilled.
  const allowance = new Map<string, { tokens: number; at: number }>()
  const withinRate = (key: string): boolean => {
    const now = Date.now()
    const a = allowance.get(key) ?? { tokens: REPORT_BURST, at: now }
    a.tokens = Math.min(REPORT_BURST, a.tokens + ((now - a.at) / 1000) * REPORTS_PER_SECOND)
    a.at = now
    if (allowance.size > 10_000) allowance.clear()
    allowance.set(key, a)
    if (a.tokens < 1) return false
    a.tokens -= 1
    return true
  }
  return new Hono<{ Variables: AuthVariables }>()
    .get('/traffic', (c) => c.json(traffic?.view() ?? null))
    .post(
      '/edge-stats',
      async (c, next) => {
        // Refused before the body is read: a burst costs control next to nothing.
        if (!withinRate(String(c.get('principal').token_id ?? 'admin')))
          throw new FadoError(
            429,
            'too_many_reports',
            `at most ${REPORTS_PER_SECOND} reports a second per token (bursts of ${REPORT_BURST})`,
          )
        await next()
      },
      bodyLimit({
        maxSize: MAX_REPORT_BYTES,
        onError: (c) => c.json(tooLarge('body', MAX_REPORT_BYTES).toJSON(), 413),
      }),
      async (c) => {
        const { entries } = await parseBody(c, edgeStatsBody)
        const snapshot = publisher.current
        const bucketKnown = (b: string) =>
          b === '' ||
          b === '_multiple' ||
          (snapshot !== undefined && Object.hasOwn(snapshot.routes, b))
        const clusterKnown = (name: string) =>
          name === '' || (snapshot !== undefined && Object.hasOwn(snapshot.clusters, name))
        const kept: StatsEntry[] = entries.filter(
          (e) => bucketKnown(e.bucket) && clusterKnown(e.cluster),
        )
        traffic?.add(kept, c.get('principal').token_id)
        return c.json({ received: entries.length, kept: kept.length })
      },
    )
}
