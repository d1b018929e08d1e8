/**
 * /api/traffic: the last 15 minutes of invocations (per bucket and per cluster: count, errors,
 * p50/p99 latency) and replication (per bucket: backlog, lag), in 10-second slots, for the admin
 * page's charts. /api/edge-stats: where a `fado edge` reports what it counted (edge-scope token);
 * the in-process edge of standalone reports directly. Names an edge reports that the newest
 * snapshot does not know are dropped, so nobody can grow the series without bound.
 */
import { Hono } from 'hono'
import { z } from 'zod'
import { LATENCY_BOUNDS_MS, type StatsEntry } from '../../edge/invocation-stats.js'
import type { ApiDeps } from './deps.js'
import { parseBody } from './validate.js'

const count = z
  .number({ error: 'must be a whole number' })
  .int({ error: 'must be a whole number' })
  .min(0, { error: 'must not be negative' })

export const edgeStatsBody = z.strictObject({
  entries: z
    .array(
      z.strictObject({
        bucket: z.string({ error: 'must be a string' }).max(200),
        cluster: z.string({ error: 'must be a string' }).max(200),
        count,
        errors: count,
        hist: z.array(count).length(LATENCY_BOUNDS_MS.length + 1, {
          error: `must have ${LATENCY_BOUNDS_MS.length + 1} latency buckets`,
        }),
      }),
      { error: 'must be an array of invocation figures' },
    )
    .max(10_000, { error: 'at most 10000 entries' }),
})

export function trafficApi({ traffic, publisher }: ApiDeps): Hono {
  return new Hono()
    .get('/traffic', (c) => c.json(traffic?.view() ?? null))
    .post('/edge-stats', async (c) => {
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
      traffic?.add(kept)
      return c.json({ received: entries.length, kept: kept.length })
    })
}
