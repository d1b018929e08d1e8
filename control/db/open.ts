/** Opens the database a target names: PostgreSQL (postgres.ts) or embedded (pglite.ts). */
import type { Logger } from '../../edge/log.js'
import { DEFAULT_DB_TIMEOUT_MS, type Db, type DbTarget } from './client.js'
import { openPGlite } from './pglite.js'
import { openPostgres } from './postgres.js'

/** `log` hears of the embedded database's thread stopping and starting again (pglite.ts). */
export async function openDb(target: DbTarget, log?: Logger): Promise<Db> {
  return target.kind === 'postgres'
    ? openPostgres(target.url, target.timeoutMs ?? DEFAULT_DB_TIMEOUT_MS)
    : openPGlite(target, log)
}
