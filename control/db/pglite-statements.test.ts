/**
 * Prepared statements on a real embedded database (PGlite in memory): the rows are PGlite's own
 * query's, each text is parsed once, the kept statements are bounded, a changed table is read
 * again, and errors keep PostgreSQL's fields.
 */
import { PGlite } from '@electric-sql/pglite'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { INT8_OID, NUMERIC_OID, parseInt8 } from './client.js'
import { EMBEDDED_POSTGRESQL_CONF } from './pglite-files.js'
import { PreparedStatements } from './pglite-statements.js'

let pg: PGlite
beforeAll(async () => {
  pg = await PGlite.create({
    parsers: { [INT8_OID]: parseInt8, [NUMERIC_OID]: Number },
    postgresqlconf: EMBEDDED_POSTGRESQL_CONF,
  })
  await pg.exec(`CREATE TABLE t (id int PRIMARY KEY, name text UNIQUE, doc jsonb, tags text[],
    data bytea, at timestamptz, big int8, amount numeric)`)
}, 60_000)
afterAll(() => pg?.close())

const prepared = async () =>
  (await pg.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_prepared_statements')).rows[0]!
    .n

describe('prepared statements on the embedded database', () => {
  test('answer the rows PGlite query answers, for every type FaDO sends and reads', async () => {
    const s = new PreparedStatements(pg)
    const row = [
      1,
      'a "quoted", {braced} name',
      { k: [1, 'two'], n: null },
      ['x', 'y"z', ''],
      Buffer.from([0, 1, 255]),
      new Date('2026-12-04T09:00:00.123Z'),
      2 ** 40 + 1,
      12.5,
    ]
    await s.query('INSERT INTO t VALUES ($1, $2, $3, $4, $5, $6, $7, $8)', row, false)
    await s.query('INSERT INTO t (id, name) VALUES ($1, $2)', [2, null], false)
    for (const [text, params] of [
      ['SELECT * FROM t ORDER BY id', []],
      ['SELECT * FROM t WHERE id = $1', [1]],
      [
        'SELECT id FROM t WHERE name = ANY($1::text[]) ORDER BY id',
        [['a "quoted", {braced} name']],
      ],
      ['SELECT $1::int + 1 AS n, $2::bool AS yes, $3::text AS none', [41, true, null]],
      ['UPDATE t SET amount = $2 WHERE id = $1 RETURNING amount, big', [1, 7.25]],
      ['DELETE FROM t WHERE id = $1', [999]],
    ] as const) {
      const expected = (await pg.query(text, [...params])).rows
      expect(await s.query(text, params, false)).toEqual(expected)
    }
  })

  test('parse each text once, and keep at most their limit', async () => {
    const s = new PreparedStatements(pg, 3)
    const before = await prepared()
    for (let i = 0; i < 5; i++) await s.query('SELECT $1::int AS i', [i], false)
    expect(await prepared()).toBe(before + 1)
    for (let i = 0; i < 6; i++) {
      expect(await s.query(`SELECT ${i} AS i, $1::int AS j`, [i], false)).toEqual([{ i, j: i }])
    }
    // The least recently used were closed as new ones came: three of this instance's remain.
    expect(s.size).toBe(3)
    expect(await prepared()).toBe(before + 3)
    s.forgetAll()
    await s.query('SELECT 1 AS one', [], false)
    expect(await prepared()).toBe(before + 1)
  })

  test('read a table again after its columns changed under a SELECT *', async () => {
    const s = new PreparedStatements(pg)
    await pg.exec('CREATE TABLE c (id int)')
    await pg.exec('INSERT INTO c VALUES (1)')
    expect(await s.query('SELECT * FROM c', [], false)).toEqual([{ id: 1 }])
    // Changed behind the statement's back (not through exec, which forgets them all).
    await pg.query('ALTER TABLE c ADD COLUMN note text')
    expect(await s.query('SELECT * FROM c', [], false)).toEqual([{ id: 1, note: null }])
  })

  test("keep PostgreSQL's error fields, and the session usable after an error", async () => {
    const s = new PreparedStatements(pg)
    const err = await s
      .query('INSERT INTO t (id, name) VALUES ($1, $2)', [3, 'a "quoted", {braced} name'], false)
      .catch((e: unknown) => e)
    expect(err).toMatchObject({ code: '23505', constraint: 't_name_key' })
    await expect(s.query('SELEC 1', [], false)).rejects.toMatchObject({ code: '42601' })
    expect(await s.query('SELECT count(*)::int AS n FROM t', [], false)).toEqual([{ n: 2 }])

    // In a transaction: the error aborts it, and it rolls back whole.
    await pg
      .transaction(async (tx) => {
        await s.query('INSERT INTO t (id) VALUES ($1)', [10], true)
        await expect(s.query('INSERT INTO t (id) VALUES ($1)', [10], true)).rejects.toMatchObject({
          code: '23505',
        })
        await expect(s.query('SELECT 1', [], true)).rejects.toMatchObject({ code: '25P02' })
        await tx.rollback()
      })
      .catch(() => {})
    expect(await s.query('SELECT id FROM t WHERE id = $1', [10], false)).toEqual([])
  })
})
