/**
 * /api/hooks: where control pushes every new route snapshot (control/snapshot/hooks.ts) — a
 * signed webhook, or a Cloudflare Workers KV namespace. Secrets are write-only: sealed at rest,
 * never answered. GET shows each hook's delivery state against the newest snapshot.
 */
import { Hono } from 'hono'
import { z } from 'zod'
import { deleteHook, insertHook, listHooks, type HookRow } from '../db/hooks.js'
import { notFound } from '../lib/errors.js'
import type { ApiDeps } from './deps.js'
import { httpUrl, parseBody, parseId } from './validate.js'
import type { HookView } from './answers.js'

const secret = (what: string) =>
  z
    .string({ error: 'must be a string' })
    .min(16, { error: `the ${what} must be at least 16 characters` })
    .max(1024, { error: 'at most 1024 characters' })
const cloudflareId = z
  .string({ error: 'must be a string' })
  .regex(/^[0-9a-f]{32}$/, { error: 'must be a Cloudflare id: 32 lowercase hex digits' })

export const createBody = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({ kind: z.literal('webhook'), url: httpUrl, secret: secret('secret') }),
    z.strictObject({
      kind: z.literal('cloudflare-kv'),
      account_id: cloudflareId,
      namespace_id: cloudflareId,
      api_token: secret('API token'),
      /** The REST API's base URL: Cloudflare's unless set (a local stand-in in tests). */
      api_url: httpUrl.optional(),
    }),
  ],
  { error: "kind must be 'webhook' or 'cloudflare-kv'" },
)

const iso = (d: Date | null) => (d === null ? null : new Date(d).toISOString())

export const hookView = (r: HookRow, current: number): HookView => ({
  hook_id: r.hook_id,
  kind: r.kind,
  url: r.url,
  account_id: r.account_id,
  namespace_id: r.namespace_id,
  created_at: new Date(r.created_at).toISOString(),
  status:
    r.delivered_version === current && current > 0
      ? 'delivered'
      : r.attempts > 0
        ? 'failing'
        : 'pending',
  delivered_version: r.delivered_version,
  delivered_at: iso(r.delivered_at),
  attempts: r.attempts,
  last_attempt_at: iso(r.last_attempt_at),
  last_error: r.last_error,
})

export function hooksApi({ db, publisher, secrets, hooks }: ApiDeps): Hono {
  const current = () => publisher.current?.version ?? 0
  return new Hono()
    .get('/', async (c) => c.json((await listHooks(db)).map((h) => hookView(h, current()))))
    .post('/', async (c) => {
      const input = await parseBody(c, createBody)
      const row = await insertHook(
        db,
        input.kind === 'webhook'
          ? {
              kind: 'webhook',
              url: input.url,
              account_id: '',
              namespace_id: '',
              secret: secrets.seal(input.secret),
            }
          : {
              kind: 'cloudflare-kv',
              url: input.api_url ?? '',
              account_id: input.account_id,
              namespace_id: input.namespace_id,
              secret: secrets.seal(input.api_token),
            },
      )
      hooks?.kick()
      return c.json(hookView(row, current()), 201)
    })
    .delete('/:id', async (c) => {
      const id = parseId(c.req.param('id'), 'hook_id')
      if (!(await deleteHook(db, id))) throw notFound('hook', id)
      return c.body(null, 204)
    })
}
