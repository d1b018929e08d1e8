/**
 * /api/snapshot: the newest route snapshot, for edges that pull it. ETag = "lineage:version".
 * Long poll: with If-None-Match naming the current version and ?wait=N (seconds, ≤ 60), the
 * answer waits until a newer version is published (200) or N seconds pass (304), so a pulling
 * edge sees a route change as soon as it is published, without polling fast.
 */
import { Hono } from 'hono'
import { snapshotTag, type RouteSnapshot } from '../../edge/snapshot.js'
import { FadoError, invalidField } from '../lib/errors.js'
import type { ApiDeps } from './deps.js'

const MAX_WAIT_S = 60

export function snapshotApi({ publisher }: ApiDeps): Hono {
  const newerThan = (etag: string, waitMs: number) =>
    new Promise<RouteSnapshot | undefined>((resolve) => {
      let done = false
      const cleanups: (() => unknown)[] = []
      const finish = (value: RouteSnapshot | undefined) => {
        if (done) return
        done = true
        for (const cleanup of cleanups) cleanup()
        resolve(value)
      }
      const timer = setTimeout(() => finish(undefined), waitMs)
      cleanups.push(
        () => clearTimeout(timer),
        publisher.onClose(() => finish(undefined)),
      )
      // subscribe() calls back at once with the current snapshot, maybe already a newer one.
      const unsubscribe = publisher.subscribe((s) => {
        if (snapshotTag(s) !== etag) finish(s)
      })
      if (done) unsubscribe()
      else cleanups.push(unsubscribe)
    })

  return new Hono().get('/', async (c) => {
    const rawWait = c.req.query('wait')
    const wait = rawWait === undefined ? 0 : Number(rawWait)
    if (!Number.isFinite(wait) || wait < 0 || wait > MAX_WAIT_S) {
      throw invalidField('wait', `must be a number of seconds from 0 to ${MAX_WAIT_S}`)
    }
    let snapshot = publisher.current
    if (!snapshot) throw new FadoError(503, 'unavailable', 'no route snapshot published yet')
    const ifNoneMatch = c.req.header('if-none-match')
    if (ifNoneMatch === snapshotTag(snapshot)) {
      // Shutting down: no waiting (a poll arriving on a kept-alive connection would hold it up).
      const newer =
        wait > 0 && !publisher.closed ? await newerThan(ifNoneMatch, wait * 1000) : undefined
      if (!newer) return c.body(null, 304, { ETag: ifNoneMatch })
      snapshot = newer
    }
    return c.json(snapshot, 200, { ETag: snapshotTag(snapshot), 'Cache-Control': 'no-cache' })
  })
}
