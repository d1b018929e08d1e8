/**
 * /api/notify: MinIO bucket notifications by webhook (thesis §5.3.3), token-protected like the
 * rest of the API. The same handler serves FaDO's own event-stream listeners.
 */
import { Hono } from 'hono'
import { invalidField } from '../errors.js'
import { parseRecords } from '../storage/events.js'
import type { ApiDeps } from './deps.js'

export function notifyApi({ changeFeed }: ApiDeps): Hono {
  return new Hono().on(['POST', 'PUT'], '/', async (c) => {
    let body: unknown
    try {
      body = await c.req.json()
    } catch {
      throw invalidField('body', 'must be a JSON notification ({"Records": [...]})')
    }
    if (!Array.isArray((body as { Records?: unknown } | null)?.Records)) {
      throw invalidField('Records', 'must be an array of event records')
    }
    const events = parseRecords(body)
    const used = await changeFeed.handle(events)
    return c.json({ received: events.length, applied: used })
  })
}
