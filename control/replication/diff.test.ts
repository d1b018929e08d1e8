import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { compareKeys, diffListings, replicaVerdict, type ListedObject } from './diff.js'

const o = (key: string, etag = 'e', size = 1): ListedObject => ({ key, size, etag })
const collect = (gen: Iterable<{ op: string; key: string }>) => {
  const out: string[] = []
  for (const a of gen) out.push(`${a.op} ${a.key}`)
  return out
}

describe('diffListings', () => {
  it('copies what the replica lacks or holds differently, deletes what the master lacks', async () => {
    const master = [o('a'), o('b', 'new'), o('c', 'e', 2), o('d')]
    const replica = [o('b', 'old'), o('c', 'e', 1), o('d'), o('e')]
    expect(collect(diffListings(master, replica))).toEqual([
      'copy a',
      'copy b',
      'copy c',
      'delete e',
    ])
  })

  it('does nothing for equal listings, and everything for an empty side', async () => {
    const list = [o('x'), o('y')]
    expect(collect(diffListings(list, list))).toEqual([])
    expect(collect(diffListings(list, []))).toEqual(['copy x', 'copy y'])
    expect(collect(diffListings([], list))).toEqual(['delete x', 'delete y'])
  })

  it('takes a custom sameness test', () => {
    const same = (m: ListedObject, r: ListedObject) => m.etag === r.etag.replace('copy-of-', '')
    expect(collect(diffListings([o('k', 'm-2')], [o('k', 'copy-of-m-2', 9)], same))).toEqual([])
  })

  it('orders keys as S3 does (UTF-8 bytes), also above U+FFFF', async () => {
    const keys = ['b', 'a/b', 'a', '\u{1F600}', '\uFF5E', 'A']
    const sorted = [...keys].sort(compareKeys)
    expect(sorted).toEqual(['A', 'a', 'a/b', 'b', '\uFF5E', '\u{1F600}'])
    const master = sorted.map((k) => o(k))
    expect(collect(diffListings(master, master))).toEqual([])
  })

  it('orders any two keys as their UTF-8 bytes do (fuzzed, BMP and above U+FFFF)', () => {
    const codePoint = fc
      .integer({ min: 0, max: 0x10ffff })
      .filter((c) => c < 0xd800 || c > 0xdfff)
      .map((c) => String.fromCodePoint(c))
    const unit = fc.oneof(fc.constantFrom('a', 'z', '\uFF5E', '\uE000', '\uD7FF'), codePoint)
    const key = fc.array(unit, { maxLength: 6 }).map((units) => units.join(''))
    fc.assert(
      fc.property(key, key, (a, b) => {
        const bytes = Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'))
        expect(Math.sign(compareKeys(a, b))).toBe(Math.sign(bytes))
      }),
      { numRuns: 5_000 },
    )
  })
})

describe('replicaVerdict: in sync from FaDO’s record, not from ETags across servers', () => {
  const m = { key: 'k', size: 10, etag: 'aaa' }
  const copiedAs = (etag: string | null) => ({
    source_etag: 'aaa',
    source_size: 10,
    replica_etag: etag,
  })
  it.each([
    [
      'recorded copy untouched',
      m,
      { key: 'k', size: 10, etag: 'zzz-2' },
      copiedAs('zzz-2'),
      'same',
    ],
    [
      'master changed since the copy',
      { ...m, etag: 'bbb' },
      { key: 'k', size: 10, etag: 'zzz' },
      copiedAs('zzz'),
      'copy',
    ],
    [
      'replica overwritten behind FaDO’s back',
      m,
      { key: 'k', size: 10, etag: 'evil' },
      copiedAs('zzz'),
      'repair',
    ],
    [
      'replica resized behind FaDO’s back',
      m,
      { key: 'k', size: 11, etag: 'zzz' },
      copiedAs('zzz'),
      'repair',
    ],
    ['replica object deleted behind FaDO’s back', m, undefined, copiedAs('zzz'), 'repair'],
    [
      'extra replica object FaDO never wrote',
      undefined,
      { key: 'k', size: 1, etag: 'x' },
      undefined,
      'repair',
    ],
    [
      'master deleted what FaDO copied',
      undefined,
      { key: 'k', size: 10, etag: 'zzz' },
      copiedAs('zzz'),
      'delete',
    ],
    [
      'equal MD5 without a record: adopted',
      m,
      { key: 'k', size: 10, etag: 'aaa' },
      undefined,
      'adopt',
    ],
    [
      'batch copy not listed yet: adopted',
      m,
      { key: 'k', size: 10, etag: 'zzz' },
      copiedAs(null),
      'adopt',
    ],
    ['never copied, differs', m, { key: 'k', size: 10, etag: 'other' }, undefined, 'copy'],
    ['missing on the replica', m, undefined, undefined, 'copy'],
  ] as const)('%s → %s', (_, master, replica, record, verdict) => {
    expect(replicaVerdict(master, replica, record)).toBe(verdict)
  })
})
