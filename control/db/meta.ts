/** Facts about this database itself (fado_meta): its lineage, the secrets key fingerprint. */
import type { Queryable } from './client.js'

export async function getMeta(q: Queryable, key: string): Promise<string | undefined> {
  const rows = await q.query<{ value: string }>('SELECT value FROM fado_meta WHERE key = $1', [key])
  return rows[0]?.value
}

/** Sets `key` unless it is set already; returns the value it has now. */
export async function setMetaOnce(q: Queryable, key: string, value: string): Promise<string> {
  await q.query('INSERT INTO fado_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING', [
    key,
    value,
  ])
  return (await getMeta(q, key)) as string
}
