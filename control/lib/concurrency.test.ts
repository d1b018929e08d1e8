import v8 from 'node:v8'
import vm from 'node:vm'
import { describe, expect, it } from 'vitest'
import { pullAhead } from './concurrency.js'

v8.setFlagsFromString('--expose-gc')
const gc = vm.runInNewContext('gc') as () => void

describe('pullAhead', () => {
  it('yields every item in order, at most `max` ahead of the consumer', async () => {
    let produced = 0
    async function* source() {
      for (let i = 0; i < 50; i++) {
        produced++
        yield i
      }
    }
    const seen: number[] = []
    for await (const item of pullAhead(source(), 4)) {
      await new Promise((r) => setTimeout(r, 1))
      // queued (≤ 4) + the one the pump holds waiting to push + the one being consumed
      expect(produced - seen.length).toBeLessThanOrEqual(6)
      seen.push(item)
    }
    expect(seen).toEqual(Array.from({ length: 50 }, (_, i) => i))
  })

  it('lets go of the items its consumer has taken (a pass must not hold its whole listing)', async () => {
    const taken: WeakRef<object>[] = []
    async function* pages() {
      for (let i = 0; i < 100; i++) yield { page: i, entries: new Array(1000).fill(i) }
    }
    for await (const page of pullAhead(pages(), 8)) {
      taken.push(new WeakRef(page))
      if (page.page === 90) {
        await new Promise((r) => setTimeout(r, 0))
        gc()
        // Pages long consumed are gone; only the latest few may still be referenced.
        expect(taken.slice(0, 80).filter((ref) => ref.deref() !== undefined)).toEqual([])
      }
    }
  })
})
