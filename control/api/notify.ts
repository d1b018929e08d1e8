/**
 * /api/notify: MinIO bucket notifications by webhook (thesis §5.3.3), token-protected like the
 * rest of the API. Records are validated before anything acts on them (400 naming the field);
 * the same change feed serves FaDO's own event-stream listeners.
 */
import { Hono } from 'hono'
import { z } from 'zod'
import { parseRecords } from '../changes/event-stream.js'
import type { AuthVariables } from './auth.js'
import type { ApiDeps } from './deps.js'
import { parseWith } from './validate.js'
import { readJson } from './input.js'

const text = (max: number) =>
  z.string({ error: 'must be a string' }).max(max, { error: `at most ${max} characters` })

const record = z.looseObject({
  eventName: text(256).min(1, { error: 'must not be empty' }),
  s3: z.looseObject(
    {
      bucket: z.looseObject({ name: text(63).min(1, { error: 'must not be empty' }) }),
      object: z
        .looseObject({
          key: text(4096).optional(),
          size: z.number({ error: 'must be a number' }).nonnegative().optional(),
          eTag: text(256).optional(),
        })
        .optional(),
    },
    { error: 'must be an object with bucket.name' },
  ),
  responseElements: z.record(z.string(), z.unknown()).optional(),
})

export const notification = z.looseObject(
  {
    Records: z
      .array(record, { error: 'must be an array of event records' })
      .max(1000, { error: 'at most 1000 records' }),
  },
  { error: 'must be a JSON notification ({"Records": [...]})' },
)

export function notifyApi({ changeFeed }: ApiDeps): Hono<{ Variables: AuthVariables }> {
  return new Hono<{ Variables: AuthVariables }>().on(['POST', 'PUT'], '/', async (c) => {
    const body = parseWith(
      notification,
      await readJson(c, 'a JSON notification ({"Records": [...]})'),
    )
    const events = parseRecords(body)
    const principal = c.get('principal')
    // A notify token delivers for its own storage deployment only (one made before tokens named
    // theirs delivers for none); an admin may deliver for any.
    if (principal.scope === 'notify')
      return c.json(await changeFeed.deliver(events, principal.storage_alias))
    return c.json({ received: events.length, applied: await changeFeed.handle(events), refused: 0 })
  })
}
