/**
 * One database interface, two engines: real PostgreSQL through `pg` (when a URL is given) and
 * embedded PostgreSQL through PGlite (the default). Row modules only see `Queryable`, so the same
 * SQL runs on both; transactions roll back when their callback throws.
 *
 * PostgreSQL is a service that can fail: every connect and statement has a timeout, and any
 * failure to reach it (refused, reset, timed out, shutting down) becomes DatabaseUnavailableError,
 * which the API answers as 503 — never a hang, never a 500. Transactions are marked (see
 * transaction-scope.ts) so that no external call can run inside one.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'
import type { PGlite as PGliteType, Transaction } from '@electric-sql/pglite'
import { runInTransaction } from '../lib/transaction-scope.js'
import {
  EMBEDDED_POSTGRESQL_CONF,
  initialiseInChild,
  isInitialised,
  PrivateNodeFS,
} from './pglite-files.js'

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
  /**
   * Tells every other process on this database (PostgreSQL NOTIFY). The embedded database serves
   * one process only, so there it does nothing.
   */
  notify(channel: string, payload: string): Promise<void>
  /**
   * Calls `onMessage` for each notification on `channel` from other processes, and `onReconnect`
   * after the listening connection was lost and is back (notifications may have been missed).
   */
  listen(
    channel: string,
    onMessage: (payload: string) => void,
    onReconnect: () => void,
  ): Promise<() => Promise<void>>
  close(): Promise<void>
}

export type LockResult<T> = { acquired: true; value: T } | { acquired: false }

export type DbTarget =
  | { kind: 'postgres'; url: string; timeoutMs?: number | undefined }
  | { kind: 'pglite'; dataDir: string }
  | { kind: 'pglite-memory' }

/** The database could not be reached or did not answer in time. */
export class DatabaseUnavailableError extends Error {
  readonly code = 'database_unavailable'
  constructor(cause: unknown) {
    super(`the database is unavailable (${describe(cause)})`, { cause })
    this.name = 'DatabaseUnavailableError'
  }
}

const describe = (err: unknown): string => {
  const e = err as { code?: unknown; message?: unknown }
  const message = typeof e?.message === 'string' ? e.message : String(err)
  return typeof e?.code === 'string' && !message.includes(e.code)
    ? `${e.code}: ${message}`
    : message
}

/** Network codes and SQLSTATE classes that mean "not reachable now", as opposed to a bad query. */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  '57014', // statement_timeout cancelled the query
  '57P01', // admin shutdown
  '57P02', // crash shutdown
  '57P03', // cannot connect now (starting up)
  '53300', // too many connections
])

export function isUnavailable(err: unknown): boolean {
  if (err instanceof DatabaseUnavailableError) return true
  const e = err as { code?: unknown; message?: unknown }
  const code = typeof e?.code === 'string' ? e.code : ''
  if (UNAVAILABLE_CODES.has(code) || code.startsWith('08')) return true
  const message = typeof e?.message === 'string' ? e.message : ''
  // pg's own messages for its client-side timeouts and lost connections carry no code.
  return /timeout exceeded when trying to connect|Query read timeout|Connection terminated|connection timeout|Client has encountered a connection error|not queryable/i.test(
    message,
  )
}

const unavailableOr = (err: unknown): unknown =>
  isUnavailable(err) && !(err instanceof DatabaseUnavailableError)
    ? new DatabaseUnavailableError(err)
    : err

const INT8_OID = 20
const NUMERIC_OID = 1700
/** int8 (bigint, count(*)) as a JS number: FaDO's counters and sizes stay far below 2^53. */
const parseInt8 = (value: string): number => Number(value)

/** Connect and statement timeout when none is configured (see --db-timeout). */
export const DEFAULT_DB_TIMEOUT_MS = 5_000

export async function openDb(target: DbTarget): Promise<Db> {
  return target.kind === 'postgres'
    ? openPostgres(target.url, target.timeoutMs ?? DEFAULT_DB_TIMEOUT_MS)
    : openPGlite(target)
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

async function openPostgres(url: string, timeoutMs: number): Promise<Db> {
  const types = {
    getTypeParser(oid: number, format?: 'text' | 'binary') {
      if (oid === INT8_OID) return parseInt8
      return pg.types.getTypeParser(oid, format)
    },
  }
  const settings = {
    connectionString: url,
    types,
    // Client side: waiting for a connection (pool slot or TCP/TLS/auth) and for any answer.
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
    // Server side: a statement or an idle transaction that outlives it is cancelled there too.
    statement_timeout: timeoutMs,
    idle_in_transaction_session_timeout: Math.max(timeoutMs * 2, 10_000),
    keepAlive: true,
    // Which FaDO process holds a connection (and its locks), as pg_stat_activity shows it.
    application_name: `fado/${process.pid}`,
  }
  const pool = new pg.Pool({ ...settings, max: 10 })
  // An idle client losing its connection (server restart) must not crash the process.
  pool.on('error', () => {})
  const adapt = (client: pg.Pool | pg.PoolClient): Queryable => ({
    async query<R>(text: string, params?: readonly unknown[]) {
      try {
        const result = await client.query(text, params as unknown[] | undefined)
        return result.rows as R[]
      } catch (err) {
        throw unavailableOr(err)
      }
    },
    async exec(sql: string) {
      try {
        await client.query(sql)
      } catch (err) {
        throw unavailableOr(err)
      }
    },
  })
  const connect = async (): Promise<pg.PoolClient> => {
    try {
      return await pool.connect()
    } catch (err) {
      throw unavailableOr(err)
    }
  }
  const db: Db = {
    engine: 'postgres',
    description: `PostgreSQL at ${redactUrl(url)}`,
    ...adapt(pool),
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      const client = await connect()
      const tx = adapt(client)
      let broken = false
      try {
        await tx.query('BEGIN')
        const result = await runInTransaction(() => fn(tx))
        await tx.query('COMMIT')
        return result
      } catch (err) {
        // A connection that failed is dropped, not rolled back over: the server ends the
        // transaction when the connection goes, and waiting on ROLLBACK would double the wait.
        if (isUnavailable(err)) broken = true
        else await client.query('ROLLBACK').catch(() => (broken = true))
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
      const client = await connect()
      const session = adapt(client)
      let broken = false
      try {
        const [row] = await session.query<{ ok: boolean }>(
          'SELECT pg_try_advisory_lock($1, $2) AS ok',
          [namespace, key],
        )
        if (!row?.ok) return { acquired: false }
        try {
          return { acquired: true, value: await fn() }
        } finally {
          await session.query('SELECT pg_advisory_unlock($1, $2)', [namespace, key]).catch(() => {
            broken = true // dropping the connection frees the lock
          })
        }
      } catch (err) {
        if (isUnavailable(err)) broken = true
        throw err
      } finally {
        client.release(broken)
      }
    },
    async notify(channel: string, payload: string): Promise<void> {
      await db.query('SELECT pg_notify($1, $2)', [channel, payload])
    },
    listen: (channel, onMessage, onReconnect) =>
      listenPostgres({ ...settings, query_timeout: undefined }, channel, onMessage, onReconnect),
    async close() {
      await pool.end()
    },
  }
  await db.query('SELECT 1')
  return db
}

/**
 * LISTEN on a dedicated connection that comes back by itself: lost (server restarted, network
 * cut) → reconnect with backoff → onReconnect, so the caller can catch up on what it missed.
 */
async function listenPostgres(
  settings: pg.ClientConfig,
  channel: string,
  onMessage: (payload: string) => void,
  onReconnect: () => void,
): Promise<() => Promise<void>> {
  let stopped = false
  let client: pg.Client | undefined
  let timer: NodeJS.Timeout | undefined
  let failures = 0
  const quoted = `"${channel.replace(/"/g, '""')}"`

  const connect = async (): Promise<void> => {
    const next = new pg.Client(settings)
    next.on('notification', (n) => {
      if (n.channel === channel) onMessage(n.payload ?? '')
    })
    next.on('error', () => retry(next))
    next.on('end', () => retry(next))
    await next.connect()
    await next.query(`LISTEN ${quoted}`)
    if (stopped) {
      await next.end().catch(() => {})
      return
    }
    client = next
  }
  const retry = (lost: pg.Client) => {
    if (stopped || client !== lost) return
    client = undefined
    lost.end().catch(() => {})
    schedule()
  }
  const schedule = () => {
    clearTimeout(timer)
    const delay = Math.min(10_000, 250 * 2 ** Math.min(failures, 6))
    timer = setTimeout(() => {
      connect().then(
        () => {
          failures = 0
          if (!stopped) onReconnect()
        },
        () => {
          failures++
          if (!stopped) schedule()
        },
      )
    }, delay)
    timer.unref()
  }

  try {
    await connect()
  } catch (err) {
    throw unavailableOr(err)
  }
  return async () => {
    stopped = true
    clearTimeout(timer)
    await client?.end().catch(() => {})
  }
}

async function openPGlite(target: { kind: 'pglite'; dataDir: string } | { kind: 'pglite-memory' }) {
  const { PGlite } = await import('@electric-sql/pglite')
  const parsers = { [INT8_OID]: parseInt8, [NUMERIC_OID]: Number }
  // 'memory' is a throw-away cluster in a private temp dir, removed on close.
  const dataDir =
    target.kind === 'pglite'
      ? target.dataDir
      : fs.mkdtempSync(path.join(os.tmpdir(), 'fado-throwaway-db-'))
  let release: () => void =
    target.kind === 'pglite' ? () => {} : () => fs.rmSync(dataDir, { recursive: true, force: true })
  let pglite: PGliteType
  try {
    if (target.kind === 'pglite') {
      fs.mkdirSync(path.dirname(path.resolve(dataDir)), { recursive: true })
      release = lockDataDir(dataDir)
    }
    if (!isInitialised(dataDir)) initialiseInChild(dataDir)
    pglite = await PGlite.create({
      fs: new PrivateNodeFS(dataDir),
      parsers,
      postgresqlconf: EMBEDDED_POSTGRESQL_CONF,
    })
  } catch (err) {
    release()
    throw err
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
        : 'embedded PGlite, throw-away (its data is removed on exit)',
    ...adapt(pglite),
    transaction: (fn) => pglite.transaction((tx) => runInTransaction(() => fn(adapt(tx)))),
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
    // One process per embedded database: nobody else to tell.
    async notify() {},
    async listen() {
      return async () => {}
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
