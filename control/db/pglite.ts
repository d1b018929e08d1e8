/**
 * The embedded engine (PGlite): one process per data dir (data-dir-lock.ts), initialised in a
 * child process, or a throw-away cluster for 'memory'. It runs in a thread of its own
 * (pglite-worker-main.ts): PGlite is WebAssembly that holds the thread calling it for as long as a
 * statement takes, and in control's thread a full pass's queries and the upkeep's VACUUMs kept the
 * API waiting.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Worker } from 'node:worker_threads'
import { builtScript } from '../../edge/built-script.js'
import type { Logger } from '../../edge/log.js'
import { runInTransaction } from '../lib/transaction-scope.js'
import { DatabaseUnavailableError, type Db, type LockResult, type Queryable } from './client.js'
import { lockDataDir } from './data-dir-lock.js'
import { initialiseInChild, isInitialised } from './pglite-files.js'
import {
  fromWire,
  type FromDbThread,
  type PGliteWorkerData,
  type ToDbThread,
} from './pglite-wire.js'

/** A message to the thread before its id is given (each kind of ToDbThread without `id`). */
type Request<M = ToDbThread> = M extends ToDbThread ? Omit<M, 'id'> : never

/** How soon a thread that stopped is started again, at the earliest, after the last start. */
const RESTART_SPACING_MS = 1_000

/**
 * Control's end of the database's thread: one call per statement, answered in turn. A thread that
 * stops (out of memory, a crash) fails the statements it held as DatabaseUnavailableError (the API
 * answers 503) and is started again on the same data dir — PostgreSQL's recovery replays its WAL,
 * as a server's would after a crash.
 */
class DbThread {
  #worker!: Worker
  readonly #waiting = new Map<number, { resolve(r: unknown): void; reject(e: Error): void }>()
  #next = 1
  #closing = false
  #startedAt = 0
  #everOpened = false
  /** Why the thread is down, until it is started again. */
  #down: Error | undefined
  /** Answers the first start: resolves once the database is open. */
  readonly opened: Promise<unknown>

  constructor(
    private readonly data: PGliteWorkerData,
    private readonly log?: Logger,
  ) {
    this.opened = this.#start().then(() => (this.#everOpened = true))
  }

  call(request: Request): Promise<unknown> {
    if (this.#down) return Promise.reject(new DatabaseUnavailableError(this.#down))
    const id = this.#next++
    const answer = this.#wait(id)
    this.#worker.postMessage({ ...request, id })
    return answer
  }

  async close(): Promise<void> {
    try {
      if (!this.#down) await this.call({ type: 'close' })
    } finally {
      this.#closing = true
      await this.#worker.terminate()
    }
  }

  #start(): Promise<unknown> {
    this.#startedAt = Date.now()
    const worker = new Worker(builtScript('pglite-worker.mjs'), {
      workerData: this.data,
      // As lean as control's own thread (a 2 MB semi-space); PGlite's own memory is WebAssembly's.
      // Its old generation holds only answers on their way to control (a few MB at most): a
      // runaway answer stops the thread at 256 MB rather than growing control without bound.
      resourceLimits: { maxYoungGenerationSizeMb: 6, maxOldGenerationSizeMb: 256 },
    })
    // Held only while a statement is out, so a command that has nothing else to wait for ends.
    worker.unref()
    this.#worker = worker
    let failure: Error | undefined
    worker.on('message', (message: FromDbThread) => {
      const waiting = this.#waiting.get(message.id)
      if (!waiting) return
      this.#forget(message.id)
      if ('error' in message) waiting.reject(fromWire(message.error))
      else waiting.resolve(message.result)
    })
    worker.on('error', (err) => (failure = err))
    worker.on('exit', (code) => {
      if (!this.#closing) this.#stopped(failure?.message ?? `exit code ${code}`)
    })
    return this.#wait(0)
  }

  /** The thread ended unasked: what it held fails, later statements fail until it is back. */
  #stopped(why: string): void {
    const cause = new Error(`the embedded database's thread stopped: ${why}`)
    this.#down = cause
    for (const [id, waiting] of this.#waiting) {
      this.#forget(id)
      waiting.reject(this.#everOpened ? new DatabaseUnavailableError(cause) : cause)
    }
    // A database that never opened is the caller's to report (bad data dir, newer version…).
    if (!this.#everOpened) return
    this.log?.error('embedded database stopped; starting it again', { reason: why })
    const wait = Math.max(0, this.#startedAt + RESTART_SPACING_MS - Date.now())
    setTimeout(() => {
      if (this.#closing) return
      this.#down = undefined
      this.#start().then(
        () => this.log?.info('embedded database started again'),
        () => {}, // its thread ends after saying why, and is started again from #stopped
      )
    }, wait).unref()
  }

  #wait(id: number): Promise<unknown> {
    if (this.#waiting.size === 0) this.#worker.ref()
    return new Promise((resolve, reject) => this.#waiting.set(id, { resolve, reject }))
  }

  #forget(id: number): void {
    this.#waiting.delete(id)
    if (this.#waiting.size === 0) this.#worker.unref()
  }
}

export async function openPGlite(
  target: { kind: 'pglite'; dataDir: string } | { kind: 'pglite-memory' },
  log?: Logger,
) {
  // 'memory' is a throw-away cluster in a private temp dir, removed on close.
  const dataDir =
    target.kind === 'pglite'
      ? target.dataDir
      : fs.mkdtempSync(path.join(os.tmpdir(), 'fado-throwaway-db-'))
  let release: () => void =
    target.kind === 'pglite' ? () => {} : () => fs.rmSync(dataDir, { recursive: true, force: true })
  let thread: DbThread
  try {
    if (target.kind === 'pglite') {
      fs.mkdirSync(path.dirname(path.resolve(dataDir)), { recursive: true })
      release = lockDataDir(dataDir)
    }
    if (!isInitialised(dataDir)) initialiseInChild(dataDir)
    thread = new DbThread({ dataDir: path.resolve(dataDir) }, log)
    await thread.opened.catch(async (err: unknown) => {
      await thread.close()
      throw err
    })
  } catch (err) {
    release()
    throw err
  }
  const held = new Set<string>()
  const adapt = (tx?: number): Queryable => ({
    async query<R>(text: string, params?: readonly unknown[]) {
      return (await thread.call({
        type: 'query',
        tx,
        text,
        ...(params ? { params: [...params] } : {}),
      })) as R[]
    },
    async exec(sql: string) {
      await thread.call({ type: 'exec', tx, sql })
    },
  })
  const db: Db = {
    engine: 'pglite',
    description:
      target.kind === 'pglite'
        ? `embedded PGlite in ${target.dataDir}`
        : 'embedded PGlite, throw-away (its data is removed on exit)',
    ...adapt(),
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      const tx = (await thread.call({ type: 'begin' })) as number
      let result: T
      try {
        result = await runInTransaction(() => fn(adapt(tx)))
      } catch (err) {
        await thread.call({ type: 'end', tx, commit: false }).catch(() => {})
        throw err
      }
      await thread.call({ type: 'end', tx, commit: true })
      return result
    },
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
        await thread.close()
      } finally {
        release()
      }
    },
  }
  return db
}
