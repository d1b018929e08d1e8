import { describe, expect, it } from 'vitest'
import { compareKeys, diffListings, type ListedObject } from './diff.js'

const o = (key: string, etag = 'e', size = 1): ListedObject => ({ key, size, etag })
const collect = async (gen: AsyncIterable<{ op: string; key: string }>) => {
  const out: string[] = []
  for await (const a of gen) out.push(`${a.op} ${a.key}`)
  return out
}

describe('diffListings', () => {
  it('copies what the replica lacks or holds differently, deletes what the master lacks', async () => {
    const master = [o('a'), o('b', 'new'), o('c', 'e', 2), o('d')]
    const replica = [o('b', 'old'), o('c', 'e', 1), o('d'), o('e')]
    expect(await collect(diffListings(master, replica))).toEqual([
      'copy a',
      'copy b',
      'copy c',
      'delete e',
    ])
  })

  it('does nothing for equal listings, and everything for an empty side', async () => {
    const list = [o('x'), o('y')]
    expect(await collect(diffListings(list, list))).toEqual([])
    expect(await collect(diffListings(list, []))).toEqual(['copy x', 'copy y'])
    expect(await collect(diffListings([], list))).toEqual(['delete x', 'delete y'])
  })

  it('takes async listings and a custom sameness test', async () => {
    async function* gen(items: ListedObject[]) {
      yield* items
    }
    const same = (m: ListedObject, r: ListedObject) => m.etag === r.etag.replace('copy-of-', '')
    expect(
      await collect(diffListings(gen([o('k', 'm-2')]), gen([o('k', 'copy-of-m-2', 9)]), same)),
    ).toEqual([])
  })

  it('orders keys as S3 does (UTF-8 bytes), also above U+FFFF', async () => {
    const keys = ['b', 'a/b', 'a', '\u{1F600}', '\uFF5E', 'A']
    const sorted = [...keys].sort(compareKeys)
    expect(sorted).toEqual(['A', 'a', 'a/b', 'b', '\uFF5E', '\u{1F600}'])
    const master = sorted.map((k) => o(k))
    expect(await collect(diffListings(master, master))).toEqual([])
  })
})
