/** API tokens: a name, a scope, the SHA-256 of the secret (never the secret itself). */
import type { Queryable } from './client.js'

export const SCOPES = ['admin', 'edge', 'notify', 'metrics', 'agent'] as const
export type Scope = (typeof SCOPES)[number]

export interface TokenRow {
  token_id: number
  name: string
  scope: Scope
  /** notify tokens: the alias of the storage deployment whose events it may deliver. */
  storage_alias: string | null
  /** agent tokens: the cluster whose work it may take. */
  cluster_id: number | null
  created_at: Date
  last_used_at: Date | null
}

const COLUMNS = 'token_id, name, scope, storage_alias, cluster_id, created_at, last_used_at'

export async function listTokens(q: Queryable): Promise<TokenRow[]> {
  return q.query<TokenRow>(`SELECT ${COLUMNS} FROM api_tokens ORDER BY token_id`)
}

export async function insertToken(
  q: Queryable,
  input: {
    name: string
    scope: Scope
    token_hash: string
    storage_alias?: string | null
    cluster_id?: number | null
  },
): Promise<TokenRow> {
  const [row] = await q.query<TokenRow>(
    `INSERT INTO api_tokens (name, scope, token_hash, storage_alias, cluster_id) VALUES ($1, $2, $3, $4, $5) RETURNING ${COLUMNS}`,
    [
      input.name,
      input.scope,
      input.token_hash,
      input.storage_alias ?? null,
      input.cluster_id ?? null,
    ],
  )
  if (!row) throw new Error('INSERT … RETURNING returned no row')
  return row
}

export async function findTokenByHash(
  q: Queryable,
  hash: string,
): Promise<Pick<TokenRow, 'token_id' | 'scope' | 'storage_alias' | 'cluster_id'> | undefined> {
  const rows = await q.query<Pick<TokenRow, 'token_id' | 'scope' | 'storage_alias' | 'cluster_id'>>(
    'SELECT token_id, scope, storage_alias, cluster_id FROM api_tokens WHERE token_hash = $1',
    [hash],
  )
  return rows[0]
}

export async function touchToken(q: Queryable, tokenId: number): Promise<void> {
  await q.query(
    `UPDATE api_tokens SET last_used_at = now()
     WHERE token_id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`,
    [tokenId],
  )
}

export async function deleteToken(q: Queryable, tokenId: number): Promise<boolean> {
  const rows = await q.query('DELETE FROM api_tokens WHERE token_id = $1 RETURNING token_id', [
    tokenId,
  ])
  return rows.length > 0
}

/** Revokes the token of that name, if there is one (tokens FaDO makes for itself have fixed names). */
export async function deleteTokenByName(q: Queryable, name: string): Promise<void> {
  await q.query('DELETE FROM api_tokens WHERE name = $1', [name])
}
