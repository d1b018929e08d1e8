/** /api/snapshot: the newest route snapshot, for edges that pull it. ETag = version. */
import { Hono } from 'hono'
import { FadoError } from '../errors.js'
import type { ApiDeps } from './deps.js'

export function snapshotApi({ publisher }: ApiDeps): Hono {
  return new Hono().get('/', (c) => {
    const snapshot = publisher.current
    if (!snapshot) throw new FadoError(503, 'unavailable', 'no route snapshot published yet')
    const etag = `"${snapshot.version}"`
    if (c.req.header('if-none-match') === etag) return c.body(null, 304, { ETag: etag })
    return c.json(snapshot, 200, { ETag: etag, 'Cache-Control': 'no-cache' })
  })
}
