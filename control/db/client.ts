/**
 * One database interface, two engines: real PostgreSQL through `pg` (when a URL is given) and
 * embedded PostgreSQL through PGlite (the default). Row modules only see `Queryable`, so the same
 * SQL runs on both; transactions roll back when their callback throws.
 */
import fs from 'node:fs'
import path from 'node:path'
import pg from 'pg'
import type { PGlite as PGliteType, Transaction } from '@electric-sql/pglite'

export interface Queryable {
  /** One parameterised statement; rows come back typed as the caller says. */
  query<R>(text: string, params?: readonly unknown[]): Promise<R[]>
  /** Several statements without parameters (migrations). */
  exec(sql: string): Promise<void>
}

export interface Db extends Queryable {
  readonly engine: 'postgres' | 'pglite'
  /** Human description without credentials, for start-up messages. */
  readonly description: string
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>
  /**
   * Runs `fn` while holding an exclusive lock on (namespace, key) across every process using this
   * database; resolves { acquired: false } at once when someone else holds it.
   */
  tryWithLock<T>(namespace: number, key: number, fn: () => Promise<T>): Promise<LockResult<T>>
  close(): Promise<void>
}

export type LockResult<T> = { acquired: true; value: T } | { acquired: false }

export type DbTarget =
  | { kind: 'postgres'; url: string }
  | { kind: 'pglite'; dataDir: string }
  | { kind: 'pglite-memory' }

const INT8_OID = 20
const NUMERIC_OID = 1700
/** int8 (bigint, count(*)) as a JS number: FaDO's counters and sizes stay far below 2^53. */
const parseInt8 = (value: string): number => Number(value)

export async function openDb(target: DbTarget): Promise<Db> {
  return target.kind === 'postgres' ? openPostgres(target.url) : openPGlite(target)
}

/** The URL with its password masked, safe to print. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url)
    if (u.password) u.password = '***'
    return u.toString()
  } catch {
    return '(unparseable database URL)'
  }
}

async function openPostgres(url: string): Promise<Db> {
  const types = {
    getTypeParser(oid: number, format?: 'text' | 'binary') {
      if (oid === INT8_OID) return parseInt8
      return pg.types.getTypeParser(oid, format)
    },
  }
  const pool = new pg.Pool({ connectionString: url, max: 10, types, connectionTimeoutMillis: 5000 })
  // An idle client losing its connection (server restart) must not crash the process.
  pool.on('error', () => {})
  const adapt = (client: pg.Pool | pg.PoolClient): Queryable => ({
    async query<R>(text: string, params?: readonly unknown[]) {
      const result = await client.query(text, params as unknown[] | undefined)
      return result.rows as R[]
    },
    async exec(sql: string) {
      await client.query(sql)
    },
  })
  const db: Db = {
    engine: 'postgres',
    description: `PostgreSQL at ${redactUrl(url)}`,
    ...adapt(pool),
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      const client = await pool.connect()
      let broken = false
      try {
        await client.query('BEGIN')
        const result = await fn(adapt(client))
        await client.query('COMMIT')
        return result
      } catch (err) {
        try {
          await client.query('ROLLBACK')
        } catch {
          broken = true
        }
        throw err
      } finally {
        client.release(broken)
      }
    },
    async tryWithLock<T>(
      namespace: number,
      key: number,
      fn: () => Promise<T>,
    ): Promise<LockResult<T>> {
      // A session-level advisory lock on a connection held for the duration: if this process
      // dies, the connection closes and PostgreSQL frees the lock.
      const client = await pool.connect()
      let broken = false
      try {
        const [row] = (
          await client.query('SELECT pg_try_advisory_lock($1, $2) AS ok', [namespace, key])
        ).rows as { ok: boolean }[]
        if (!row?.ok) return { acquired: false }
        try {
          return { acquired: true, value: await fn() }
        } finally {
          await client.query('SELECT pg_advisory_unlock($1, $2)', [namespace, key]).catch(() => {
            broken = true
          })
        }
      } finally {
        client.release(broken)
      }
    },
    async close() {
      await pool.end()
    },
  }
  await db.query('SELECT 1')
  return db
}

async function openPGlite(target: { kind: 'pglite'; dataDir: string } | { kind: 'pglite-memory' }) {
  const { PGlite } = await import('@electric-sql/pglite')
  const parsers = { [INT8_OID]: parseInt8, [NUMERIC_OID]: Number }
  let release = (): void => {}
  let pglite: PGliteType
  if (target.kind === 'pglite') {
    fs.mkdirSync(path.dirname(path.resolve(target.dataDir)), { recursive: true })
    release = lockDataDir(target.dataDir)
    try {
      pglite = await PGlite.create({ dataDir: target.dataDir, parsers })
    } catch (err) {
      release()
      throw err
    }
  } else {
    pglite = await PGlite.create({ parsers })
  }
  const held = new Set<string>()
  const adapt = (q: PGliteType | Transaction): Queryable => ({
    async query<R>(text: string, params?: readonly unknown[]) {
      const result = await q.query<R>(text, params as unknown[] | undefined)
      return result.rows
    },
    async exec(sql: string) {
      await q.exec(sql)
    },
  })
  const db: Db = {
    engine: 'pglite',
    description:
      target.kind === 'pglite'
        ? `embedded PGlite in ${target.dataDir}`
        : 'embedded PGlite in memory (data is lost on exit)',
    ...adapt(pglite),
    transaction: (fn) => pglite.transaction((tx) => fn(adapt(tx))),
    // PGlite serves one process only (the data dir is locked), so an in-process lock is enough.
    async tryWithLock<T>(
      namespace: number,
      key: number,
      fn: () => Promise<T>,
    ): Promise<LockResult<T>> {
      const id = `${namespace}:${key}`
      if (held.has(id)) return { acquired: false }
      held.add(id)
      try {
        return { acquired: true, value: await fn() }
      } finally {
        held.delete(id)
      }
    },
    async close() {
      try {
        await pglite.close()
      } finally {
        release()
      }
    },
  }
  return db
}

/**
 * PGlite is a single-process database: a second process opening the same directory would corrupt
 * it. A lock file holding our pid keeps it to one; a lock left by a dead process is taken over.
 */
function lockDataDir(dataDir: string): () => void {
  const lockPath = `${path.resolve(dataDir)}.lock`
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(lockPath, String(process.pid), { flag: 'wx' })
      return () => fs.rmSync(lockPath, { force: true })
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      const holder = Number(fs.readFileSync(lockPath, 'utf8').trim())
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder)) {
        throw new Error(
          `the embedded database in ${dataDir} is in use by process ${holder}; stop it or use another --data-dir`,
          { cause: err },
        )
      }
      fs.rmSync(lockPath, { force: true })
    }
  }
  throw new Error(`could not lock ${lockPath}`)
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}
