/**
 * The embedded engine (PGlite): one process per data dir (data-dir-lock.ts), initialised in a
 * child process, or a throw-away cluster for 'memory'.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { PGlite as PGliteType, Transaction } from '@electric-sql/pglite'
import { runInTransaction } from '../lib/transaction-scope.js'
import {
  INT8_OID,
  NUMERIC_OID,
  parseInt8,
  type Db,
  type LockResult,
  type Queryable,
} from './client.js'
import { lockDataDir } from './data-dir-lock.js'
import {
  EMBEDDED_POSTGRESQL_CONF,
  initialiseInChild,
  isInitialised,
  PrivateNodeFS,
} from './pglite-files.js'

export async function openPGlite(
  target: { kind: 'pglite'; dataDir: string } | { kind: 'pglite-memory' },
) {
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
