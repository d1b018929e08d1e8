/**
 * Statements on the embedded database, each parsed once. PGlite's own `query` speaks the extended
 * protocol one message at a time — parse, describe, bind, describe, execute, sync: six calls into
 * WebAssembly, and a fresh parse of the text, for every statement (measured: 0.69 ms for the
 * buckets' listing, 0.16 ms for `SELECT 1`). Here a text is parsed once into a named prepared
 * statement, and every call is then one batch of bind, describe, execute and sync (0.07 and
 * 0.03 ms). Plans are still made per call with the call's values (the embedded configuration sets
 * plan_cache_mode = force_custom_plan), so no statement runs with another plan than before.
 *
 * Runs in the embedded database's thread (pglite-worker-main.ts), under PGlite's own locks: alone,
 * a statement waits for an open transaction as PGlite's `query` does; in one, it runs in turn.
 */
import { parse, protocol, type PGlite } from '@electric-sql/pglite'

const { serialize } = protocol

/** A prepared statement: its name in the session and its parameters' types. */
interface Prepared {
  name: string
  types: number[]
}

/** Statement texts kept prepared (least recently used closed first); FaDO's code holds some 160. */
export const PREPARED_LIMIT = 500

/** PostgreSQL's answer when a table under a prepared SELECT * changed its columns. */
const resultTypeChanged = (err: unknown) =>
  (err as { code?: unknown }).code === '0A000' &&
  /cached plan must not change result type/.test((err as Error).message)

/** Names are unique in the thread, whichever instance made them. */
let nextName = 1

export class PreparedStatements {
  /** Text → statement, least recently used first (a Map keeps insertion order). */
  readonly #prepared = new Map<string, Prepared>()
  /** Statements to close, sent ahead of the next call. */
  #closing: string[] = []

  constructor(
    private readonly pg: PGlite,
    private readonly limit = PREPARED_LIMIT,
  ) {}

  /** One statement's rows; `inTransaction`: the caller holds an open transaction. */
  query(text: string, params: readonly unknown[], inTransaction: boolean): Promise<unknown[]> {
    const run = () => this.pg._runExclusiveQuery(() => this.#run(text, params, !inTransaction))
    // Alone, it waits its turn behind transactions, as PGlite's query does.
    return inTransaction ? run() : this.pg._runExclusiveTransaction(run)
  }

  /** After a statement that may change tables (DDL): every text is parsed again when next used. */
  forgetAll(): void {
    for (const { name } of this.#prepared.values()) this.#closing.push(name)
    this.#prepared.clear()
  }

  /** Statements kept prepared now (for tests). */
  get size(): number {
    return this.#prepared.size
  }

  async #run(text: string, params: readonly unknown[], mayRetry: boolean): Promise<unknown[]> {
    const statement = await this.#prepare(text)
    const values = params.map((value, i) => this.#serialize(value, statement.types[i]))
    const batch = [
      serialize.bind({ statement: statement.name, values }),
      serialize.describe({ type: 'P' }),
      serialize.execute({}),
      serialize.sync(),
    ]
    try {
      return parse.parseResults(await this.#send(batch), this.pg.parsers)[0]?.rows ?? []
    } catch (err) {
      if (!resultTypeChanged(err)) throw err
      // A table changed under a SELECT *: parse the text again. Alone the call is simply made
      // again; in a transaction the error stands (the transaction is aborted).
      this.#forget(text)
      if (!mayRetry) throw err
      return this.#run(text, params, false)
    }
  }

  async #prepare(text: string): Promise<Prepared> {
    const known = this.#prepared.get(text)
    if (known) {
      // Most recently used last.
      this.#prepared.delete(text)
      this.#prepared.set(text, known)
      return known
    }
    const name = `fado_${nextName++}`
    const described = await this.#send([
      serialize.parse({ name, text }),
      serialize.describe({ type: 'S', name }),
      serialize.sync(),
    ])
    const statement = { name, types: parse.parseDescribeStatementResults(described) }
    this.#prepared.set(text, statement)
    if (this.#prepared.size > this.limit) this.#forget(this.#prepared.keys().next().value!)
    return statement
  }

  #forget(text: string): void {
    const statement = this.#prepared.get(text)
    if (!statement) return
    this.#prepared.delete(text)
    this.#closing.push(statement.name)
  }

  /** A value as PGlite's query sends it: its type's serializer, else its text. */
  #serialize(value: unknown, type: number | undefined): string | null {
    if (value === null || value === undefined) return null
    const serializer = type === undefined ? undefined : this.pg.serializers[type]
    return serializer ? serializer(value) : String(value)
  }

  /** One round into the database: the statements to close first, then `messages`. */
  #send(messages: Uint8Array[]) {
    const closes = this.#closing.map((name) => serialize.close({ type: 'S', name }))
    this.#closing = []
    return this.pg.execProtocolStream(Buffer.concat([...closes, ...messages]), { syncToFs: false })
  }
}
