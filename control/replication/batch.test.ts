import { describe, expect, it } from 'vitest'
import type { ObjectEntry } from '../storage/types.js'
import type { SyncAction } from './diff.js'
import { Backlog } from './observer.js'
import { limiter, BoundedQueue } from '../lib/concurrency.js'
import { batchableKey, batchSmallCopies } from './batch.js'

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

describe('BoundedQueue', () => {
  it('lets the producer run ahead of a slow consumer up to its bound, in order', async () => {
    const queue = new BoundedQueue<number>(10)
    let pushed = 0
    const producer = (async () => {
      for (let i = 0; i < 50; i++) {
        expect(await queue.push(i)).toBe(true)
        pushed++
      }
      queue.end()
    })()
    const got: number[] = []
    for await (const v of queue) {
      if (v === 0) {
        await new Promise((r) => setTimeout(r, 50))
        // While the consumer sat on the first item, the producer ran ahead to the bound.
        expect(pushed).toBeGreaterThanOrEqual(10)
        expect(pushed).toBeLessThanOrEqual(11)
      }
      got.push(v)
    }
    await producer
    expect(got).toEqual(Array.from({ length: 50 }, (_, i) => i))
  })

  it('a consumer that stops early stops the producer; a failed queue fails the consumer', async () => {
    const queue = new BoundedQueue<number>(5)
    let refused = 0
    const producer = (async () => {
      for (let i = 0; i < 1000; i++) if (!(await queue.push(i))) refused++
    })()
    for await (const v of queue) if (v === 2) break
    await producer
    expect(refused).toBeGreaterThan(900)
    const broken = new BoundedQueue<number>(5)
    await broken.push(1)
    broken.fail(new Error('listing failed'))
    const out: number[] = []
    await expect(
      (async () => {
        for await (const v of broken) out.push(v)
      })(),
    ).rejects.toThrow('listing failed')
    expect(out).toEqual([1])
  })
})

describe('Backlog', () => {
  it('counts found objects up and done ones down; close takes back what was not done', () => {
    const events: string[] = []
    const observer = {
      pending: (b: string, s: string, o: number, bytes: number) =>
        events.push(`${b}/${s} ${o} ${bytes}`),
      replicated: (b: string, s: string, lag: number) =>
        events.push(`lag ${b}/${s} ${lag >= 0 && lag < 5}`),
      failed: () => {},
      repaired: () => {},
    }
    const backlog = new Backlog(observer, 'img', 'm2', Date.now())
    backlog.found(100)
    backlog.found(50)
    backlog.found(0)
    backlog.done(100, true)
    backlog.done(0, false)
    backlog.close()
    expect(events).toEqual([
      'img/m2 1 100',
      'img/m2 1 50',
      'img/m2 1 0',
      'img/m2 -1 -100',
      'lag img/m2 true',
      'img/m2 -1 0',
      'img/m2 -1 -50',
    ])
  })
})
