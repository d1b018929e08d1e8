/**
 * One database interface, two engines: real PostgreSQL through `pg` (when a URL is given) and
 * embedded PostgreSQL through PGlite (the default). Row modules only see `Queryable`, so the same
 * SQL runs on both; transactions roll back when their callback throws.
 *
 * PostgreSQL is a service that can fail: every connect and statement has a timeout, and any
 * failure to reach it (refused, reset, timed out, shutting down) becomes DatabaseUnavailableError,
 * which the API answers as 503 — never a hang, never a 500. Transactions are marked (see
 * transaction-scope.ts) so that no external call can run inside one.
 *
 * This module is the interface; the engines are postgres.ts and pglite.ts, opened by open.ts.
 */
import { FadoError } from '../lib/errors.js'

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
export class DatabaseUnavailableError extends FadoError {
  constructor(cause: unknown) {
    super(503, 'database_unavailable', `the database is unavailable (${describe(cause)})`, {
      cause,
    })
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

export const unavailableOr = (err: unknown): unknown =>
  isUnavailable(err) && !(err instanceof DatabaseUnavailableError)
    ? new DatabaseUnavailableError(err)
    : err

/** PostgreSQL's error codes FaDO answers for (SQLSTATE, both engines). */
export const UNIQUE_VIOLATION = '23505'
export const FOREIGN_KEY_VIOLATION = '23503'

export const INT8_OID = 20
export const NUMERIC_OID = 1700
/** int8 (bigint, count(*)) as a JS number: FaDO's counters and sizes stay far below 2^53. */
export const parseInt8 = (value: string): number => Number(value)

/** Connect and statement timeout when none is configured (see --db-timeout). */
export const DEFAULT_DB_TIMEOUT_MS = 5_000
