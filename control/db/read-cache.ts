/**
 * What the admin page polls (every bucket, deployment, cluster, setting), answered from memory
 * while the database has not been written since. Each open page asks every 2 s, and each poll's
 * statements queued in the embedded database's thread behind a full pass's: with a million-object
 * bucket being checked, /api/resources' p99 was three times its idle one (issue 23).
 *
 * `db` is the database every component uses: any statement through it other than a SELECT, and
 * the end of any transaction, forgets every remembered answer once it completes. `reads` answers
 * SELECTs: one statement with the same parameters runs once, and its rows (frozen: requests share
 * them) serve every later read until a write. A read that began before a write ended may share the
 * answer it was already waiting for; none that begins after it does. Other control processes on
 * the same PostgreSQL write unseen, so there an answer serves for at most `maxAgeMs`; the embedded
 * database has one process only (data-dir-lock.ts).
 */
import type { Db, Queryable } from './client.js'

/** Answers kept between two writes; past that the oldest are forgotten (the polls use a dozen). */
const MAX_ANSWERS = 256

const isRead = (text: string): boolean => /^\s*select\s/i.test(text)

export class ReadCache {
  readonly db: Db
  readonly reads: Queryable
  readonly #answers = new Map<string, { at: number; rows: Promise<unknown[]> }>()

  constructor(
    inner: Db,
    private readonly maxAgeMs = inner.engine === 'pglite' ? Infinity : 1_000,
  ) {
    const forget = () => this.#answers.clear()
    const counted = (q: Queryable): Queryable => ({
      query: async <R>(text: string, params?: readonly unknown[]) => {
        if (isRead(text)) return q.query<R>(text, params)
        try {
          return await q.query<R>(text, params)
        } finally {
          forget()
        }
      },
      exec: async (sql) => {
        try {
          await q.exec(sql)
        } finally {
          forget()
        }
      },
    })
    this.db = {
      ...counted(inner),
      engine: inner.engine,
      description: inner.description,
      transaction: async (fn) => {
        try {
          return await inner.transaction((tx) => fn(counted(tx)))
        } finally {
          forget()
        }
      },
      tryWithLock: (namespace, key, fn) => inner.tryWithLock(namespace, key, fn),
      notify: (channel, payload) => inner.notify(channel, payload),
      listen: (channel, onMessage, onReconnect) => inner.listen(channel, onMessage, onReconnect),
      close: () => inner.close(),
    }
    this.reads = {
      query: <R>(text: string, params?: readonly unknown[]) =>
        isRead(text)
          ? (this.#read(inner, text, params) as Promise<R[]>)
          : this.db.query<R>(text, params),
      exec: (sql) => this.db.exec(sql),
    }
  }

  #read(inner: Db, text: string, params: readonly unknown[] = []): Promise<unknown[]> {
    let key: string
    try {
      key = `${text}\u0000${JSON.stringify(params)}`
    } catch {
      return inner.query<unknown>(text, params) // parameters JSON cannot spell are not kept
    }
    const now = Date.now()
    const kept = this.#answers.get(key)
    if (kept && now - kept.at <= this.maxAgeMs) return kept.rows
    const rows = inner.query<unknown>(text, params).then((got) => got.map(deepFreeze))
    const entry = { at: now, rows }
    if (this.#answers.size >= MAX_ANSWERS) this.#answers.delete(this.#answers.keys().next().value!)
    this.#answers.set(key, entry)
    // A failed read is not remembered: the next one asks the database again.
    rows.catch(() => {
      if (this.#answers.get(key) === entry) this.#answers.delete(key)
    })
    return rows
  }
}

function deepFreeze<T>(value: T): T {
  if (
    value !== null &&
    typeof value === 'object' &&
    !ArrayBuffer.isView(value) && // bytes cannot be frozen
    !Object.isFrozen(value)
  ) {
    Object.freeze(value)
    for (const inner of Object.values(value)) deepFreeze(inner)
  }
  return value
}
