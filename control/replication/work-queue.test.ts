import { afterEach, describe, expect, it, vi } from 'vitest'
import { createLogger } from '../../edge/log.js'
import { WorkQueue, type BucketWork, type RunOutcome } from './work-queue.js'

const quiet = createLogger(() => {})
const opts = { concurrency: 2, retryBaseMs: 100, retryMaxMs: 350, busyRetryMs: 50 }

afterEach(() => {
  vi.useRealTimers()
})

describe('WorkQueue', () => {
  it('coalesces requests for a bucket: a full pass absorbs key-only work', async () => {
    const runs: [number, BucketWork][] = []
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    const queue = new WorkQueue(
      async (id, work) => {
        runs.push([id, { full: work.full, keys: new Set(work.keys) }])
        if (runs.length === 1) await gate
        return 'done'
      },
      opts,
      quiet,
    )
    queue.schedule(1, ['a'])
    // While bucket 1 runs, more arrives for it: one more run with all of it.
    queue.schedule(1, ['b'])
    queue.schedule(1)
    queue.schedule(1, ['c'])
    release()
    await queue.whenIdle()
    expect(runs).toEqual([
      [1, { full: false, keys: new Set(['a']) }],
      [1, { full: true, keys: new Set(['b', 'c']) }],
    ])
  })

  it('runs at most `concurrency` buckets at once and never one bucket twice', async () => {
    let running = 0
    let peak = 0
    const seen = new Set<number>()
    const queue = new WorkQueue(
      async (id) => {
        expect(seen.has(id)).toBe(false)
        seen.add(id)
        running++
        peak = Math.max(peak, running)
        await new Promise((r) => setTimeout(r, 5))
        running--
        seen.delete(id)
        return 'done'
      },
      opts,
      quiet,
    )
    for (let i = 0; i < 10; i++) queue.schedule(i % 4)
    await queue.whenIdle()
    expect(peak).toBe(2)
  })

  it('retries a failure with doubling backoff up to the cap, as a full pass', async () => {
    vi.useFakeTimers()
    const at: number[] = []
    const failures: number[] = []
    let calls = 0
    const queue = new WorkQueue(
      async (_id, work): Promise<RunOutcome> => {
        at.push(Date.now())
        calls++
        if (calls > 1) expect(work.full).toBe(true)
        if (calls < 5) throw new Error('storage down')
        return 'done'
      },
      opts,
      quiet,
      (id) => failures.push(id),
    )
    const start = Date.now()
    queue.schedule(7, ['k'])
    await vi.runAllTimersAsync()
    await queue.whenIdle()
    expect(at.map((t) => t - start)).toEqual([0, 100, 300, 650, 1000])
    expect(failures).toEqual([7, 7, 7, 7])
  })

  it('a bucket busy in another process is looked at again shortly, keeping its work', async () => {
    vi.useFakeTimers()
    const outcomes: RunOutcome[] = ['busy', 'busy', 'done']
    const works: BucketWork[] = []
    const queue = new WorkQueue(
      async (_id, work) => {
        works.push(work)
        return outcomes.shift() as RunOutcome
      },
      opts,
      quiet,
    )
    queue.schedule(3, ['x'])
    await vi.runAllTimersAsync()
    await queue.whenIdle()
    expect(works).toHaveLength(3)
    for (const w of works) expect([...w.keys]).toEqual(['x'])
  })
})
