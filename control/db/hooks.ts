/** Snapshot publish hooks and their delivery state. `secret` is sealed (auth/secrets.ts). */
import type { Queryable } from './client.js'

export type HookKind = 'webhook' | 'cloudflare-kv'

export interface HookRow {
  hook_id: number
  kind: HookKind
  /** webhook: where to POST; cloudflare-kv: the API base URL. */
  url: string
  account_id: string
  namespace_id: string
  /** Sealed: the webhook's HMAC secret, or the Cloudflare API token. */
  secret: string
  created_at: Date
  delivered_version: number | null
  delivered_at: Date | null
  /** Failed attempts since the last delivery. */
  attempts: number
  last_attempt_at: Date | null
  last_error: string | null
}

const COLUMNS = `hook_id, kind, url, account_id, namespace_id, secret, created_at, delivered_version,
  delivered_at, attempts, last_attempt_at, last_error`

export async function listHooks(q: Queryable): Promise<HookRow[]> {
  return q.query<HookRow>(`SELECT ${COLUMNS} FROM publish_hooks ORDER BY hook_id`)
}

export async function insertHook(
  q: Queryable,
  input: Pick<HookRow, 'kind' | 'url' | 'account_id' | 'namespace_id' | 'secret'>,
): Promise<HookRow> {
  const [row] = await q.query<HookRow>(
    `INSERT INTO publish_hooks (kind, url, account_id, namespace_id, secret)
     VALUES ($1, $2, $3, $4, $5) RETURNING ${COLUMNS}`,
    [input.kind, input.url, input.account_id, input.namespace_id, input.secret],
  )
  if (!row) throw new Error('INSERT … RETURNING returned no row')
  return row
}

export async function deleteHook(q: Queryable, id: number): Promise<boolean> {
  return (
    (await q.query('DELETE FROM publish_hooks WHERE hook_id = $1 RETURNING hook_id', [id])).length >
    0
  )
}

export async function recordDelivery(q: Queryable, id: number, version: number): Promise<void> {
  await q.query(
    `UPDATE publish_hooks SET delivered_version = GREATEST(COALESCE(delivered_version, 0), $2),
       delivered_at = now(), attempts = 0, last_attempt_at = now(), last_error = NULL
     WHERE hook_id = $1`,
    [id, version],
  )
}

export async function recordFailure(q: Queryable, id: number, error: string): Promise<void> {
  await q.query(
    `UPDATE publish_hooks SET attempts = attempts + 1, last_attempt_at = now(), last_error = $2
     WHERE hook_id = $1`,
    [id, error.slice(0, 500)],
  )
}
