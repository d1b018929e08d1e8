/**
 * The embedded database's thread (pglite.ts starts it, the build writes it as
 * dist/pglite-worker.mjs): PGlite runs here, so its statements and VACUUMs — WebAssembly that
 * holds whichever thread calls it until done — leave control's thread to the API. Statements run in
 * the order they arrive; PGlite's own locks make a statement outside a transaction wait until an
 * open transaction ends, as they did in control's thread.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { PGlite, type Transaction } from '@electric-sql/pglite'
import { INT8_OID, NUMERIC_OID, parseInt8 } from './client.js'
import { EMBEDDED_POSTGRESQL_CONF, PrivateNodeFS } from './pglite-files.js'
import { PreparedStatements } from './pglite-statements.js'
import { toWire, type FromDbThread, type PGliteWorkerData, type ToDbThread } from './pglite-wire.js'

const port = parentPort
if (!port) throw new Error("the embedded database's thread runs in a worker thread")
const { dataDir } = workerData as PGliteWorkerData
const post = (message: FromDbThread) => port.postMessage(message)

/** Thrown inside PGlite's transaction to have it roll back (control asked for it). */
const ROLL_BACK = Symbol('roll back')

/** Statements that come before the database is open wait for it. */
const opening = PGlite.create({
  fs: new PrivateNodeFS(dataDir),
  parsers: { [INT8_OID]: parseInt8, [NUMERIC_OID]: Number },
  postgresqlconf: EMBEDDED_POSTGRESQL_CONF,
})
/** A transaction control began: its statements' target, how to end it, and when it has ended. */
interface OpenTransaction {
  t: Transaction
  end(commit: boolean): void
  done: Promise<void>
}
const transactions = new Map<number, OpenTransaction>()
let nextTx = 1

function begin(id: number): void {
  const tx = nextTx++
  let opened = false
  const done: Promise<void> = pglite
    .transaction(async (t) => {
      opened = true
      // Called back after BEGIN, by when `done` is set.
      const commit = await new Promise<boolean>((end) => {
        transactions.set(tx, { t, end, done })
        post({ id, result: tx })
      })
      if (!commit) throw ROLL_BACK
    })
    .finally(() => transactions.delete(tx))
  // BEGIN itself failed: the answer to `begin` is the error (after it, `end` reports).
  done.catch((err: unknown) => {
    if (!opened) post({ id, error: toWire(err) })
  })
}

async function end(tx: number, commit: boolean): Promise<null> {
  const open = transactions.get(tx)
  if (!open) throw new Error(`no open transaction ${tx}`)
  open.end(commit)
  try {
    await open.done
  } catch (err) {
    if (err !== ROLL_BACK) throw err
  }
  return null
}

function on(tx: number | undefined): PGlite | Transaction {
  if (tx === undefined) return pglite
  const open = transactions.get(tx)
  if (!open) throw new Error(`no open transaction ${tx}`)
  return open.t
}

async function handle(message: ToDbThread): Promise<unknown> {
  switch (message.type) {
    case 'query':
      on(message.tx) // the transaction is open
      return statements.query(message.text, message.params ?? [], message.tx !== undefined)
    case 'exec':
      try {
        await on(message.tx).exec(message.sql)
      } finally {
        // Scripts are migrations (which may change the tables prepared statements read) and the
        // upkeep's VACUUMs, both rare: every text is parsed again after any of them.
        statements.forgetAll()
      }
      return null
    case 'end':
      return end(message.tx, message.commit)
    case 'close':
      await pglite.close()
      return null
    case 'begin':
      throw new Error('begin is answered by begin()')
  }
}

port.on('message', (message: ToDbThread) => {
  // Started in the order messages come: PGlite queues statements as they are called.
  void opening.then(
    () => {
      if (message.type === 'begin') return begin(message.id)
      handle(message).then(
        (result) => post({ id: message.id, result }),
        (err: unknown) => post({ id: message.id, error: toWire(err) }),
      )
    },
    () => {},
  )
})

// A database that cannot open ends the thread with the reason (control reads it from 'error').
const pglite: PGlite = await opening
const statements = new PreparedStatements(pglite)
post({ id: 0, result: null })
