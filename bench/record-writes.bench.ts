/**
 * What FaDO's object records cost to write when objects change, on both engines:
 * 1. The bucket counters' update trigger, as it was (sql/0004: the statement's old and new rows
 *    joined) and as it is (sql/0018: sums): N records inserted, then all N updated twice, in
 *    batches of 4,000 (one key range of a pass, control/replication/range-listing.ts).
 * 2. The embedded database's table size while every record is updated ROUNDS times, without and
 *    with the upkeep (control/db/upkeep.ts) running a round after each, and what its rounds took.
 *
 *   npm run bench:record-writes       (N=100000 ROUNDS=10)
 * Writes bench/results/record-writes.json.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Db } from '../control/db/client.js'
import { migrate } from '../control/db/migrate.js'
import { openDb } from '../control/db/open.js'
import { EmbeddedUpkeep } from '../control/db/upkeep.js'
import { createLogger } from '../edge/log.js'
import { createDatabase, startPostgres } from '../test/helpers/postgres.js'
import { insertBucketRow, writeRecords } from '../test/helpers/rows.js'

const N = Number(process.env.N ?? 100_000)
const ROUNDS = Number(process.env.ROUNDS ?? 10)
const BATCH = 4_000
const machine = `${os.cpus().length} vCPU ${os.cpus()[0]?.model}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`
const OLD_TRIGGER = fs
  .readFileSync('sql/0004_tokens_secrets_counters.sql', 'utf8')
  .match(/CREATE FUNCTION fado_objects_updated[\s\S]*?END \$\$;/)![0]
  .replace('CREATE FUNCTION', 'CREATE OR REPLACE FUNCTION')

const names = Array.from({ length: N }, (_, i) => `data/${String(i).padStart(8, '0')}.bin`)

/** Writes every record once more, with a new size and ETag; the time it took in ms. */
async function writeAll(db: Db, bucketId: number, generation: number): Promise<number> {
  const started = performance.now()
  await writeRecords(db, bucketId, names, generation, BATCH)
  return Math.round(performance.now() - started)
}

async function tableMb(db: Db): Promise<number> {
  const [row] = await db.query<{ bytes: number }>(
    `SELECT pg_total_relation_size('objects')::float8 AS bytes`,
  )
  return Math.round((row!.bytes / 2 ** 20) * 10) / 10
}

const postgres = await startPostgres()
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fado-record-writes-'))
const engines: Record<string, () => Promise<Db>> = {
  postgres: async () =>
    openDb({ kind: 'postgres', url: await createDatabase(postgres.url, `fado_rw_${Date.now()}`) }),
  pglite: async () => openDb({ kind: 'pglite', dataDir: fs.mkdtempSync(path.join(dir, 'db-')) }),
}
const trigger: Record<string, Record<string, unknown>> = {}
const upkeep: Record<string, unknown> = {}
try {
  for (const [engine, open] of Object.entries(engines)) {
    for (const version of ['join (sql/0004)', 'sums (sql/0018)']) {
      const db = await open()
      await migrate(db)
      if (version.startsWith('join')) await db.exec(OLD_TRIGGER)
      const bucketId = await insertBucketRow(db, 'big')
      const insert = await writeAll(db, bucketId, 1)
      const updates = [await writeAll(db, bucketId, 2), await writeAll(db, bucketId, 3)]
      const [counted] = await db.query<{ object_count: number; total_bytes: number }>(
        'SELECT object_count, total_bytes FROM buckets WHERE bucket_id = $1',
        [bucketId],
      )
      if (counted!.object_count !== N || counted!.total_bytes !== N * 1_003)
        throw new Error(`counters wrong: ${JSON.stringify(counted)}`)
      ;(trigger[engine] ??= {})[version] = {
        insert_ms: insert,
        update_ms: updates,
        updated_records_per_s: Math.round(N / (Math.max(...updates) / 1000)),
      }
      console.log(engine, version, 'insert', insert, 'ms, updates', updates, 'ms')
      await db.close()
    }
  }

  const silent = createLogger(() => {})
  for (const withUpkeep of [false, true]) {
    const db = await engines.pglite!()
    await migrate(db)
    const bucketId = await insertBucketRow(db, 'big')
    await writeAll(db, bucketId, 1)
    const rounds: { write_ms: number; table_mb: number; upkeep_ms: number | undefined }[] = []
    const keeper = new EmbeddedUpkeep({ db, log: silent })
    if (withUpkeep) await keeper.round()
    for (let r = 2; r < ROUNDS + 2; r++) {
      const write = await writeAll(db, bucketId, r)
      let upkeepMs: number | undefined
      if (withUpkeep) {
        const t = performance.now()
        await keeper.round()
        upkeepMs = Math.round(performance.now() - t)
      }
      rounds.push({ write_ms: write, table_mb: await tableMb(db), upkeep_ms: upkeepMs })
    }
    upkeep[withUpkeep ? 'with_upkeep' : 'without_upkeep'] = rounds
    console.log(withUpkeep ? 'with upkeep' : 'without upkeep', JSON.stringify(rounds))
    await db.close()
  }
} finally {
  await postgres.stop()
  fs.rmSync(dir, { recursive: true, force: true })
}

const result = {
  date: new Date().toISOString(),
  machine,
  records: N,
  batch: BATCH,
  trigger,
  pglite_table_while_records_change: { rounds: ROUNDS, ...upkeep },
}
fs.mkdirSync('bench/results', { recursive: true })
fs.writeFileSync('bench/results/record-writes.json', JSON.stringify(result, null, 2) + '\n')
console.log(JSON.stringify(result, null, 2))
