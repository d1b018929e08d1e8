/** The two database engines every schema and API test runs against. */
import { inject } from 'vitest'
import { type Db, type DbTarget } from '../../control/db/client.js'
import { openDb } from '../../control/db/open.js'
import { createDatabase } from './postgres.js'

export interface Engine {
  name: string
  /** A target for a fresh, empty database on this engine. */
  target(): Promise<DbTarget>
  open(): Promise<Db>
}

const postgres: Engine = {
  name: 'PostgreSQL server',
  target: async () => ({ kind: 'postgres', url: await createDatabase(inject('pgUrl')) }),
  open: async () => openDb(await postgres.target()),
}

const pglite: Engine = {
  name: 'embedded PGlite',
  target: async () => ({ kind: 'pglite-memory' }),
  open: async () => openDb(await pglite.target()),
}

export const ENGINES: readonly Engine[] = [postgres, pglite]
export const POSTGRES = postgres
