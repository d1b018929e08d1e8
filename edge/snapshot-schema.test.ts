/**
 * The snapshot's schema (snapshot-schema.ts) is its one description; the edge checks snapshots
 * with a faster hand-written parser (snapshot.ts). These tests hold the two together: on valid
 * documents and on thousands of broken ones, both accept the same, refuse the same, and name the
 * same field.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { firstProblem, routeSnapshotSchema } from './snapshot-schema.js'
import { valid } from './snapshot.fixture.js'
import { parseSnapshot, type RouteSnapshot } from './snapshot.js'

type Path = (string | number)[]

/** Every place in a document: where a value can be replaced or removed. */
function paths(value: unknown, at: Path = []): Path[] {
  if (typeof value !== 'object' || value === null) return [at]
  const entries = Array.isArray(value)
    ? value.map((v, i) => [i, v] as const)
    : Object.entries(value as Record<string, unknown>)
  return [at, ...entries.flatMap(([k, v]) => paths(v, [...at, k]))]
}

const PLACES = paths(valid).filter((p) => p.length > 0)

/** Values a careless or hostile control could put anywhere. */
const ODD = [
  null,
  true,
  0,
  -1,
  1.5,
  1e20,
  101,
  5,
  '',
  'x y',
  'round_robin',
  'lucky',
  '/a/../b',
  '/f?x=1',
  'http://a/?q',
  'ftp://a',
  'https://ok.example/fn',
  '2026-01-01',
  [],
  ['a b'],
  {},
  { x: '/f' },
]

const clone = (v: unknown) => JSON.parse(JSON.stringify(v)) as Record<string, unknown>

function change(doc: Record<string, unknown>, path: Path, value: unknown, remove: boolean) {
  let at: Record<string | number, unknown> = doc
  for (const key of path.slice(0, -1)) at = at[key] as Record<string | number, unknown>
  const last = path[path.length - 1] as string | number
  if (remove && !Array.isArray(at)) delete at[last]
  else at[last] = value
}

/**
 * The field a refusal names: its reason up to "must" or "keys". A list of names is refused as a
 * whole by the edge and item by item by the schema: `zones` and `zones[1]` name the same field.
 */
const field = (reason: string) =>
  (reason.replace(/^invalid route snapshot: /, '').split(/ (must|keys) /)[0] ?? '').replace(
    /\.zones\[\d+\]$/,
    '.zones',
  )

function verdicts(doc: unknown) {
  let edge: string | RouteSnapshot
  try {
    edge = parseSnapshot(doc)
  } catch (err) {
    edge = field((err as Error).message)
  }
  const parsed = routeSnapshotSchema.safeParse(doc)
  const schema = parsed.success ? parsed.data : field(firstProblem(parsed.error))
  return { edge, schema }
}

describe('the edge check and the snapshot schema agree', () => {
  it('on a valid snapshot, and on one from before settings, clusters and functions', () => {
    const { edge, schema } = verdicts(clone(valid))
    expect(edge).toEqual(valid)
    expect(schema).toEqual(valid)
    const old = clone(valid)
    for (const key of ['function_header', 'clusters', 'functions', 'settings']) delete old[key]
    const both = verdicts(old)
    expect(both.edge).toEqual(both.schema)
    expect((both.edge as RouteSnapshot).settings.retries).toBe(2)
  })

  it('on every field replaced by an odd value or removed (fuzzed)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...PLACES),
        fc.constantFrom(...ODD),
        fc.boolean(),
        (path, value, remove) => {
          const doc = clone(valid)
          change(doc, path, value, remove)
          const { edge, schema } = verdicts(doc)
          expect(typeof edge === 'string' ? edge : 'accepted').toBe(
            typeof schema === 'string' ? schema : 'accepted',
          )
          if (typeof edge !== 'string') expect(edge).toEqual(schema)
        },
      ),
      { numRuns: 3000 },
    )
  })

  it('on documents that are not objects', () => {
    for (const v of [null, 1, 'x', [], true])
      expect(verdicts(v)).toEqual({ edge: 'not an object', schema: 'not an object' })
  })
})
