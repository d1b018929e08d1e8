/**
 * The embedded database in its own thread (control/db/pglite.ts): a long statement no longer holds
 * control's event loop, and what callers relied on when PGlite ran in control's thread still
 * holds — a statement outside a transaction waits for it, errors keep PostgreSQL's fields.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DatabaseUnavailableError, type Db } from '../control/db/client.js'
import { openDb } from '../control/db/open.js'
import { createLogger } from '../edge/log.js'

describe('the embedded database runs beside control, not in its thread', () => {
  let db: Db
  const logged: string[] = []
  beforeAll(async () => {
    db = await openDb(
      { kind: 'pglite-memory' },
      createLogger((line) => logged.push(line)),
    )
    await db.exec('CREATE TABLE t (id int PRIMARY KEY, name text CONSTRAINT t_name_key UNIQUE)')
  })
  afterAll(() => db?.close())

  it('a statement that takes a second leaves control’s event loop free', async () => {
    // The longest gap between the ticks of a 10 ms timer: how long the loop was held at most.
    let last = performance.now()
    let longestGap = 0
    const ticks = setInterval(() => {
      const now = performance.now()
      longestGap = Math.max(longestGap, now - last)
      last = now
    }, 10)
    const started = performance.now()
    const [row] = await db.query<{ n: number }>(
      'SELECT count(*) AS n FROM generate_series(1, 10000000)',
    )
    const took = performance.now() - started
    // A loop held until now records its delay when its timer next fires.
    await new Promise((resolve) => setTimeout(resolve, 50))
    clearInterval(ticks)
    expect(row?.n).toBe(10_000_000)
    // The statement ran long enough that, in control's thread, it would have held the loop as long.
    expect(took).toBeGreaterThan(500)
    expect(longestGap).toBeLessThan(took / 4)
  })

  it('a statement outside a transaction waits until the transaction ends, and sees it', async () => {
    let outside: Promise<{ n: number }[]> | undefined
    await db.transaction(async (tx) => {
      await tx.query('INSERT INTO t VALUES (1, $1)', ['one'])
      outside = db.query<{ n: number }>('SELECT count(*) AS n FROM t')
      // Given time, it still has not run: the transaction holds the database.
      const early = await Promise.race([
        outside,
        new Promise((r) => setTimeout(() => r('wait'), 200)),
      ])
      expect(early).toBe('wait')
      await tx.query('INSERT INTO t VALUES (2, $1)', ['two'])
    })
    expect((await outside!)[0]?.n).toBe(2)
  })

  it('a transaction that throws leaves nothing, and errors keep their code and constraint', async () => {
    await expect(
      db.transaction(async (tx) => {
        await tx.query('INSERT INTO t VALUES (3, $1)', ['three'])
        await tx.query('INSERT INTO t VALUES (4, $1)', ['one'])
      }),
    ).rejects.toMatchObject({ code: '23505', constraint: 't_name_key' })
    const rows = await db.query<{ id: number }>('SELECT id FROM t ORDER BY id')
    expect(rows.map((r) => r.id)).toEqual([1, 2])
  })

  it('values cross the thread as they are: dates, bytes, JSON, arrays and big counts', async () => {
    const [row] = await db.query<{ at: Date; b: Uint8Array; j: unknown; a: string[]; n: number }>(
      `SELECT $1::timestamptz AS at, $2::bytea AS b, $3::jsonb AS j, $4::text[] AS a,
              9007199254740991::int8 AS n`,
      [new Date('2026-12-04T06:00:00Z'), Buffer.from([1, 2, 255]), { k: [1, 'x'] }, ['a', 'b']],
    )
    expect(row?.at).toEqual(new Date('2026-12-04T06:00:00Z'))
    expect([...row!.b]).toEqual([1, 2, 255])
    expect(row?.j).toEqual({ k: [1, 'x'] })
    expect(row?.a).toEqual(['a', 'b'])
    expect(row?.n).toBe(9007199254740991)
  })

  it('a thread that dies (an answer past its memory limit) fails what it held, and is back with the data', async () => {
    // 400 rows of 1 MB: more than the thread's 256 MB heap may hold on its way to control.
    const runaway = db.query(`SELECT repeat('x', 1000000) FROM generate_series(1, 400)`)
    await expect(runaway).rejects.toBeInstanceOf(DatabaseUnavailableError)
    await expect(runaway).rejects.toThrow(/thread stopped: .*memory/)
    expect(logged.join('\n')).toMatch(/error embedded database stopped; starting it again/)
    // Started again on the same data dir: the committed rows are there.
    await expect
      .poll(() => db.query<{ id: number }>('SELECT id FROM t ORDER BY id').catch(() => 'down'), {
        timeout: 10_000,
      })
      .toEqual([{ id: 1 }, { id: 2 }])
    expect(logged.join('\n')).toMatch(/info embedded database started again/)
  })
})
