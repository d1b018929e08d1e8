/** Opens the database a target names: PostgreSQL (postgres.ts) or embedded (pglite.ts). */
import { DEFAULT_DB_TIMEOUT_MS, type Db, type DbTarget } from './client.js'
import { openPGlite } from './pglite.js'
import { openPostgres } from './postgres.js'

export async function openDb(target: DbTarget): Promise<Db> {
  return target.kind === 'postgres'
    ? openPostgres(target.url, target.timeoutMs ?? DEFAULT_DB_TIMEOUT_MS)
    : openPGlite(target)
}
