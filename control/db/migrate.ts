/**
 * Applies sql/NNNN_name.sql files in order, each in its own transaction together with its row in
 * fado_migrations. A transaction-scoped advisory lock serialises concurrent runners (two control
 * processes starting at once): the second one waits, then sees the migration applied and moves on.
 * A database that has migrations this code does not know is refused: it was written by a newer FaDO.
 */
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { FadoError } from '../lib/errors.js'
import type { Db, Queryable } from './client.js'

/** Arbitrary constant shared by every FaDO process: "FaDO" in ASCII. */
const MIGRATION_LOCK_KEY = 0x4661444f

export interface Migration {
  id: number
  name: string
  sql: string
}

export class SchemaTooNewError extends FadoError {
  constructor(
    readonly databaseVersion: number,
    readonly codeVersion: number,
  ) {
    super(
      500,
      'schema_too_new',
      `the database schema is at migration ${databaseVersion}, but this FaDO only knows migrations up to ${codeVersion}: run a newer FaDO, or point it at another database`,
    )
    this.name = 'SchemaTooNewError'
  }
}

/** The sql/ folder of this checkout, found from this module's location (source or bundle). */
export function findSqlDir(start = path.dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'sql')
    if (fs.existsSync(path.join(candidate, '0001_thesis_schema.sql'))) return candidate
    if (path.dirname(dir) === dir) throw new Error(`no sql/ folder with migrations above ${start}`)
  }
}

export function loadMigrations(dir = findSqlDir()): Migration[] {
  const migrations = fs
    .readdirSync(dir)
    .map((file) => /^(\d{4})_([a-z0-9_]+)\.sql$/.exec(file))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({
      id: Number(m[1]),
      name: m[2] ?? '',
      sql: fs.readFileSync(path.join(dir, m[0]), 'utf8'),
    }))
    .sort((a, b) => a.id - b.id)
  migrations.forEach((m, i) => {
    if (m.id !== i + 1)
      throw new Error(
        `migrations must be numbered 0001, 0002, … without gaps: found ${m.id} at position ${i + 1}`,
      )
  })
  return migrations
}

async function lock(tx: Queryable): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY])
}

export interface MigrateResult {
  applied: Migration[]
  version: number
}

export async function migrate(db: Db, migrations = loadMigrations()): Promise<MigrateResult> {
  const codeVersion = migrations.at(-1)?.id ?? 0
  const databaseVersion = await db.transaction(async (tx) => {
    await lock(tx)
    await tx.exec(`CREATE TABLE IF NOT EXISTS fado_migrations (
      id         int         PRIMARY KEY,
      name       text        NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`)
    const rows = await tx.query<{ version: number | null }>(
      'SELECT max(id) AS version FROM fado_migrations',
    )
    return rows[0]?.version ?? 0
  })
  if (databaseVersion > codeVersion) throw new SchemaTooNewError(databaseVersion, codeVersion)

  const applied: Migration[] = []
  for (const migration of migrations) {
    if (migration.id <= databaseVersion) continue
    const ran = await db.transaction(async (tx) => {
      await lock(tx)
      const done = await tx.query('SELECT 1 FROM fado_migrations WHERE id = $1', [migration.id])
      if (done.length > 0) return false
      await tx.exec(migration.sql)
      await tx.query('INSERT INTO fado_migrations (id, name) VALUES ($1, $2)', [
        migration.id,
        migration.name,
      ])
      return true
    })
    if (ran) applied.push(migration)
  }
  return { applied, version: codeVersion }
}
