/**
 * The embedded database's upkeep: what PostgreSQL's autovacuum does for a server. Autovacuum is
 * started by the postmaster; PGlite runs a single backend and never starts it, so without this
 * every updated or deleted row stays in the files for good (100,000 object records updated ten
 * times: 43.8 MB → 159.5 MB, and every range read crosses the dead rows; bench:record-writes), the
 * planner has no statistics, and the transaction ids age toward wraparound (at 2^31 PostgreSQL
 * stops taking writes).
 *
 * Every minute control reads the tables' counters and runs VACUUM or ANALYZE where autovacuum's
 * rules, with its default settings, would (dueUpkeep). PGlite keeps no counters across a restart,
 * so the first round ANALYZEs the database, which estimates each table's live and dead rows, and
 * then applies the rules: dead rows left before a restart are still found.
 *
 * PGlite has one backend: while a VACUUM runs (in the database's thread, pglite.ts) the API's
 * statements wait for it, as they wait for any other (logged with its duration, counted in
 * /metrics). A PostgreSQL server has its autovacuum; this runs for the embedded engine only.
 */
import type { Logger } from '../../edge/log.js'
import { Periodic } from '../lib/periodic.js'
import type { Queryable } from './client.js'

/** One table's counters, as pg_stat_user_tables has them since the start (or an ANALYZE). */
export interface TableCounters {
  table: string
  live: number
  dead: number
  /** Rows inserted, updated or deleted since the last ANALYZE. */
  modified: number
  /** Rows inserted since the last VACUUM. */
  inserted: number
}

export interface Upkeep {
  /** null: the whole database. */
  table: string | null
  action: 'vacuum' | 'analyze'
  reason: string
}

/** autovacuum's defaults (PostgreSQL 18, "Automatic Vacuuming"). */
export const UPKEEP_RULES = {
  vacuumThreshold: 50,
  vacuumScaleFactor: 0.2,
  insertThreshold: 1000,
  insertScaleFactor: 0.2,
  analyzeThreshold: 50,
  analyzeScaleFactor: 0.1,
  freezeMaxAge: 200_000_000,
}

/** What is due: per table a VACUUM (which also analyzes) or an ANALYZE, at most one each. */
export function dueUpkeep(
  tables: readonly TableCounters[],
  databaseXidAge: number,
  rules = UPKEEP_RULES,
): Upkeep[] {
  const due: Upkeep[] = []
  if (databaseXidAge > rules.freezeMaxAge)
    due.push({
      table: null,
      action: 'vacuum',
      reason: `transaction ids ${databaseXidAge} old (over ${rules.freezeMaxAge}): freeze`,
    })
  for (const t of tables) {
    if (t.dead > rules.vacuumThreshold + rules.vacuumScaleFactor * t.live)
      due.push({ table: t.table, action: 'vacuum', reason: `${t.dead} dead rows, ${t.live} live` })
    else if (t.inserted > rules.insertThreshold + rules.insertScaleFactor * t.live)
      due.push({
        table: t.table,
        action: 'vacuum',
        reason: `${t.inserted} rows inserted since the last vacuum, ${t.live} live`,
      })
    else if (t.modified > rules.analyzeThreshold + rules.analyzeScaleFactor * t.live)
      due.push({
        table: t.table,
        action: 'analyze',
        reason: `${t.modified} rows changed since the last analyze, ${t.live} live`,
      })
  }
  return due
}

export async function readCounters(
  q: Queryable,
): Promise<{ tables: TableCounters[]; databaseXidAge: number }> {
  // A backend sends its counts to the shared statistics at most once a second, when idle: without
  // this the counts read would lag, and counts of rows changed before a VACUUM could land after
  // its report.
  await q.query('SELECT pg_stat_force_next_flush()')
  const tables = await q.query<TableCounters>(
    `SELECT relname AS "table", n_live_tup::float8 AS live, n_dead_tup::float8 AS dead,
            n_mod_since_analyze::float8 AS modified, n_ins_since_vacuum::float8 AS inserted
     FROM pg_stat_user_tables WHERE schemaname = current_schema() ORDER BY relname`,
  )
  const [db] = await q.query<{ age: number }>(
    `SELECT age(datfrozenxid)::float8 AS age FROM pg_database WHERE datname = current_database()`,
  )
  return { tables, databaseXidAge: db?.age ?? 0 }
}

const quoted = (table: string) => `"${table.replaceAll('"', '""')}"`

export function upkeepSql(u: Pick<Upkeep, 'table' | 'action'>): string {
  if (u.action === 'analyze') return u.table === null ? 'ANALYZE' : `ANALYZE ${quoted(u.table)}`
  return u.table === null ? 'VACUUM (ANALYZE)' : `VACUUM (ANALYZE) ${quoted(u.table)}`
}

export const UPKEEP_INTERVAL_MS = 60_000

export interface UpkeepDeps {
  db: Queryable
  log: Logger
  /** Each statement run, for /metrics. */
  done?: (u: Upkeep, seconds: number) => void
  intervalMs?: number
}

export class EmbeddedUpkeep extends Periodic {
  #analyzed = false

  constructor(private readonly deps: UpkeepDeps) {
    super(deps.intervalMs ?? UPKEEP_INTERVAL_MS, (err) =>
      deps.log.warn('database upkeep failed', { error: err }),
    )
  }

  /** One round: reads the counters (the first round ANALYZEs first), runs what is due. */
  async round(): Promise<Upkeep[]> {
    if (!this.#analyzed) {
      await this.#run({ table: null, action: 'analyze', reason: 'counters are lost at a restart' })
      this.#analyzed = true
    }
    const { tables, databaseXidAge } = await readCounters(this.deps.db)
    const due = dueUpkeep(tables, databaseXidAge)
    for (const u of due) await this.#run(u)
    return due
  }

  async #run(u: Upkeep): Promise<void> {
    const started = performance.now()
    await this.deps.db.exec(upkeepSql(u))
    const seconds = (performance.now() - started) / 1000
    this.deps.log.info(`database upkeep: ${u.action}`, {
      table: u.table ?? '(all)',
      reason: u.reason,
      ms: Math.round(seconds * 1000),
    })
    this.deps.done?.(u, seconds)
  }
}
