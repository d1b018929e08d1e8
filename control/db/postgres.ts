/**
 * The PostgreSQL engine (`pg`): a pool with connect and statement timeouts, unavailability as
 * DatabaseUnavailableError, advisory locks, and LISTEN/NOTIFY on a connection of its own that
 * comes back after it is lost.
 */
import pg from 'pg'
import { runInTransaction } from '../lib/transaction-scope.js'
import {
  INT8_OID,
  isUnavailable,
  parseInt8,
  unavailableOr,
  type Db,
  type LockResult,
  type Queryable,
} from './client.js'

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

export async function openPostgres(url: string, timeoutMs: number): Promise<Db> {
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
