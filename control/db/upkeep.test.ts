import { describe, expect, it } from 'vitest'
import { dueUpkeep, upkeepSql, type TableCounters } from './upkeep.js'

const table = (t: Partial<TableCounters>): TableCounters => ({
  table: 'objects',
  live: 0,
  dead: 0,
  modified: 0,
  inserted: 0,
  ...t,
})

describe('dueUpkeep (autovacuum’s rules with its defaults)', () => {
  it.each([
    ['nothing changed', table({ live: 1_000_000 }), []],
    ['dead rows under 50 + 20 % of live', table({ live: 10_000, dead: 2_050 }), []],
    ['dead rows over it', table({ live: 10_000, dead: 2_051 }), ['vacuum', /^2051 dead rows/]],
    ['a small table: over 50', table({ live: 3, dead: 51 }), ['vacuum', /^51 dead rows/]],
    [
      'inserts only, over 1000 + 20 %',
      table({ live: 10_000, inserted: 3_001, modified: 3_001 }),
      ['vacuum', /^3001 rows inserted since the last vacuum/],
    ],
    [
      'changes under the vacuum rules, over 50 + 10 % for analyze',
      table({ live: 10_000, modified: 1_051, dead: 1_000 }),
      ['analyze', /^1051 rows changed since the last analyze/],
    ],
    ['changes under every rule', table({ live: 10_000, modified: 1_050, dead: 1_000 }), []],
  ] as const)('%s', (_, counters, expected) => {
    const due = dueUpkeep([counters], 1_000)
    if (expected.length === 0) return expect(due).toEqual([])
    expect(due).toHaveLength(1)
    expect(due[0]!.table).toBe('objects')
    expect(due[0]!.action).toBe(expected[0])
    expect(due[0]!.reason).toMatch(expected[1])
  })

  it('vacuums the whole database before its transaction ids are 200 million old', () => {
    expect(dueUpkeep([], 200_000_000)).toEqual([])
    expect(dueUpkeep([table({ live: 5 })], 200_000_001)).toEqual([
      { table: null, action: 'vacuum', reason: expect.stringMatching(/200000001 old/) as string },
    ])
  })

  it('one action per table, each table on its own', () => {
    const due = dueUpkeep(
      [
        table({ table: 'objects', live: 100, dead: 500, inserted: 5_000, modified: 5_000 }),
        table({ table: 'buckets', live: 10, modified: 80 }),
        table({ table: 'clusters', live: 2 }),
      ],
      0,
    )
    expect(due.map((u) => [u.table, u.action])).toEqual([
      ['objects', 'vacuum'],
      ['buckets', 'analyze'],
    ])
  })

  it('quotes the table it names', () => {
    expect(upkeepSql({ table: 'objects', action: 'vacuum' })).toBe('VACUUM (ANALYZE) "objects"')
    expect(upkeepSql({ table: 'a"b', action: 'analyze' })).toBe('ANALYZE "a""b"')
    expect(upkeepSql({ table: null, action: 'vacuum' })).toBe('VACUUM (ANALYZE)')
  })
})
