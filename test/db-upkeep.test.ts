/**
 * The embedded database's upkeep (control/db/upkeep.ts), on a real PGlite data dir: objects
 * updated over and over leave dead rows that PGlite alone never clears; the upkeep finds them
 * (also those left before a restart, when PGlite's counters start from nothing), vacuums, and the
 * table then stays near its live size however often its rows change.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLogger } from '../edge/log.js'
import type { Db } from '../control/db/client.js'
import { migrate } from '../control/db/migrate.js'
import { openDb } from '../control/db/open.js'
import { EmbeddedUpkeep, readCounters, type Upkeep } from '../control/db/upkeep.js'
import { ControlMetrics } from '../control/observe/metrics.js'
import { insertBucketRow, writeRecords } from './helpers/rows.js'

const OBJECTS = 20_000

describe('embedded database upkeep', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fado-upkeep-'))
  const dataDir = path.join(dir, 'db')
  let db: Db
  let bucketId = 0
  let generation = 0
  const logged: string[] = []
  const log = createLogger((line) => logged.push(line))

  const open = async () => (db = await openDb({ kind: 'pglite', dataDir }))
  const names = Array.from({ length: OBJECTS }, (_, i) => `k/${String(i).padStart(6, '0')}`)
  /** Every object of the bucket gets a new size and ETag: one updated row each. */
  const churn = async (rounds: number) => {
    for (let r = 0; r < rounds; r++) await writeRecords(db, bucketId, names, ++generation, 5_000)
  }
  const tableBytes = async () =>
    (await db.query<{ bytes: number }>(`SELECT pg_table_size('objects')::float8 AS bytes`))[0]!
      .bytes
  const objectsCounters = async () =>
    (await readCounters(db)).tables.find((t) => t.table === 'objects')!

  beforeAll(async () => {
    await open()
    await migrate(db)
    bucketId = await insertBucketRow(db, 'b')
    await churn(1)
  }, 120_000)
  afterAll(async () => {
    await db?.close()
    fs.rmSync(dir, { recursive: true, force: true })
  })

  it('vacuums a table whose rows changed, reports it, and the table stops growing', async () => {
    const upkeep = new EmbeddedUpkeep({ db, log })
    await upkeep.round() // the first round's ANALYZE, and the inserts' vacuum
    const live = await tableBytes()

    // Without upkeep the table grows by about its live size with every round of updates.
    await churn(5)
    const grown = await tableBytes()
    expect(grown).toBeGreaterThan(4 * live)
    expect((await objectsCounters()).dead).toBeGreaterThan(OBJECTS)

    const metrics = new ControlMetrics({ db, snapshotVersion: () => 0 })
    const counted = new EmbeddedUpkeep({
      db,
      log,
      done: (u, s) => metrics.dbUpkeep(u, s),
    })
    const due = await counted.round()
    expect(due).toContainEqual<Upkeep>({
      table: 'objects',
      action: 'vacuum',
      reason: expect.stringMatching(/^\d+ dead rows, \d+ live$/) as unknown as string,
    })
    expect((await objectsCounters()).dead).toBe(0)
    expect(logged.some((l) => /database upkeep: vacuum table=objects reason=/.test(l))).toBe(true)
    expect(await metrics.text()).toMatch(
      /fado_db_upkeep_total\{table="objects",action="vacuum"\} 1/,
    )

    // With a round after each change the dead rows' space is reused: five more rounds of updates
    // (another 4 × its live size without upkeep) and the table has not grown by one.
    for (let r = 0; r < 5; r++) {
      await churn(1)
      await counted.round()
    }
    expect(await tableBytes()).toBeLessThan(grown + live)
  }, 300_000)

  it('finds dead rows left before a restart, though PGlite forgets its counters', async () => {
    await churn(3)
    await db.close()
    await open()
    expect((await objectsCounters()).dead).toBe(0) // the counters start from nothing

    const due = await new EmbeddedUpkeep({ db, log }).round()
    expect(due.find((u) => u.table === 'objects')?.action).toBe('vacuum')
    expect((await objectsCounters()).dead).toBe(0)
  }, 300_000)
})
