import { describe, expect, it } from 'vitest'
import type { ObjectEntry } from '../storage/s3.js'
import type { SyncAction } from './diff.js'
import { batchableKey, batchSmallCopies, limiter } from './sync-bucket.js'

const copy = (key: string, size: number, etag = 'e'): SyncAction<ObjectEntry> => ({
  op: 'copy',
  key,
  source: { key, size, etag, last_modified: new Date(0) },
})

async function shape(
  actions: SyncAction<ObjectEntry>[],
  limits: Parameters<typeof batchSmallCopies>[1],
) {
  const out: string[] = []
  async function* feed() {
    yield* actions
  }
  for await (const w of batchSmallCopies(feed(), limits))
    out.push(
      w.op === 'batch' ? `batch(${w.copies.map((c) => c.key).join(',')})` : `${w.op} ${w.key}`,
    )
  return out
}

describe('batchSmallCopies', () => {
  const limits = { objectBytes: 100, objects: 3, bytes: 250 }

  it('groups small copies by count and bytes; large, multipart and odd keys and deletes pass through', async () => {
    expect(
      await shape(
        [
          copy('a', 10),
          copy('b', 10),
          { op: 'delete', key: 'gone' },
          copy('c', 10),
          copy('d', 10), // fourth: the first batch is full at three
          copy('big', 101),
          copy('mp', 10, 'abc-2'),
          copy('dir/', 0),
          copy('x/./y', 1),
          copy('e', 100),
          copy('f', 100), // third: full again
          copy('g', 100),
          copy('h', 100),
          copy('i', 100), // g + h + i = 300 bytes would pass 250: a new batch
        ],
        limits,
      ),
    ).toEqual([
      'delete gone',
      'batch(a,b,c)',
      'copy big',
      'copy mp',
      'copy dir/',
      'copy x/./y',
      'batch(d,e,f)',
      'batch(g,h)',
      'batch(i)',
    ])
  })
})

describe('batchableKey', () => {
  it('is false where a tar entry name would be cleaned to another key', () => {
    for (const key of ['a', 'a/b', 'ü/名前 (1).txt', 'a.b/..c'])
      expect(batchableKey(key), key).toBe(true)
    for (const key of ['a/', '/a', 'a//b', './a', 'a/../b', 'a/.'])
      expect(batchableKey(key), key).toBe(false)
  })
})

describe('limiter', () => {
  it('runs at most n at once, in order of arrival', async () => {
    const limit = limiter(2)
    let running = 0
    let most = 0
    const order: number[] = []
    await Promise.all(
      [1, 2, 3, 4, 5].map((i) =>
        limit(async () => {
          running++
          most = Math.max(most, running)
          order.push(i)
          await new Promise((r) => setTimeout(r, 5))
          running--
        }),
      ),
    )
    expect(most).toBe(2)
    expect(order).toEqual([1, 2, 3, 4, 5])
  })
})
