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
const open = new Map<number, Transaction>()
const ends = new Map<number, (commit: boolean) => void>()
const settled = new Map<number, Promise<void>>()
let nextTx = 1

function begin(id: number): void {
  const tx = nextTx++
  let opened = false
  const done = pglite
    .transaction(async (t) => {
      opened = true
      open.set(tx, t)
      post({ id, result: tx })
      const commit = await new Promise<boolean>((resolve) => ends.set(tx, resolve))
      if (!commit) throw ROLL_BACK
    })
    .finally(() => open.delete(tx))
  settled.set(tx, done)
  // BEGIN itself failed: the answer to `begin` is the error (after it, `end` reports).
  done.catch((err: unknown) => {
    if (!opened) {
      settled.delete(tx)
      post({ id, error: toWire(err) })
    }
  })
}

async function end(tx: number, commit: boolean): Promise<null> {
  const done = settled.get(tx)
  const finish = ends.get(tx)
  if (!done || !finish) throw new Error(`no open transaction ${tx}`)
  ends.delete(tx)
  settled.delete(tx)
  finish(commit)
  try {
    await done
  } catch (err) {
    if (err !== ROLL_BACK) throw err
  }
  return null
}

function on(tx: number | undefined): PGlite | Transaction {
  if (tx === undefined) return pglite
  const t = open.get(tx)
  if (!t) throw new Error(`no open transaction ${tx}`)
  return t
}

async function handle(message: ToDbThread): Promise<unknown> {
  switch (message.type) {
    case 'query':
      return (await on(message.tx).query(message.text, message.params)).rows
    case 'exec':
      await on(message.tx).exec(message.sql)
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
post({ id: 0, result: null })
