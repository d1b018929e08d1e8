/** Bounds on concurrent work: a limiter, a bounded runner with a weight budget, a bounded queue. */
import { setImmediate } from 'node:timers/promises'

/**
 * Lets whatever I/O is ready (an API request, a database answer) run before the caller's next
 * step: long background work (a full pass) awaits it before each CPU-heavy step, so it runs in
 * slices of a few milliseconds between the requests instead of ahead of them.
 */
export const giveWay = (): Promise<void> => setImmediate()

export type Limiter = <T>(fn: () => Promise<T>) => Promise<T>

/** At most `n` calls of the functions it is given run at once. */
export function limiter(n: number): Limiter {
  let running = 0
  const waiting: (() => void)[] = []
  return async (fn) => {
    if (running >= n) await new Promise<void>((resolve) => waiting.push(resolve))
    running++
    try {
      return await fn()
    } finally {
      running--
      waiting.shift()?.()
    }
  }
}

/**
 * A queue between a producer that runs ahead and one consumer, holding at most `max` items: `push`
 * waits while it is full, and answers false once the consumer has stopped (it takes no more). The
 * producer ends it, or fails it: the consumer then throws that error after the items before it.
 */
export class BoundedQueue<T> implements AsyncIterable<T> {
  #items: T[] = []
  #head = 0
  #ended = false
  #failure: { error: unknown } | undefined
  #abandoned = false
  #wakeConsumer: (() => void) | undefined
  #wakeProducer: (() => void) | undefined

  constructor(private readonly max: number) {}

  /** Queues an item; false when the consumer has stopped. */
  async push(item: T): Promise<boolean> {
    while (!this.#abandoned && this.#items.length - this.#head >= this.max)
      await new Promise<void>((r) => (this.#wakeProducer = r))
    if (this.#abandoned) return false
    this.#items.push(item)
    this.#wakeConsumer?.()
    return true
  }

  /** No more items: the consumer ends after those queued. */
  end(): void {
    this.#ended = true
    this.#wakeConsumer?.()
  }

  /** No more items, and the consumer throws `error` after those queued. */
  fail(error: unknown): void {
    this.#failure ??= { error }
    this.end()
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    try {
      for (;;) {
        if (this.#head < this.#items.length) {
          const item = this.#items[this.#head] as T
          // The slot lets go of what it held now, not when the array is next cut: a listing's
          // pages would otherwise stay reachable until 1,024 had passed (a whole pass, at 8 ahead).
          this.#items[this.#head++] = undefined as T
          if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
            this.#items.splice(0, this.#head)
            this.#head = 0
          }
          this.#wakeProducer?.()
          yield item
          continue
        }
        if (this.#failure) throw this.#failure.error
        if (this.#ended) return
        await new Promise<void>((r) => (this.#wakeConsumer = r))
        this.#wakeConsumer = undefined
      }
    } finally {
      this.#abandoned = true
      this.#items = []
      this.#head = 0
      this.#wakeProducer?.()
    }
  }
}

/**
 * Pulls `source` ahead of its consumer, up to `max` items, in a loop of its own: a listing keeps
 * its server busy while the pages already fetched are compared. A consumer that stops stops it.
 */
export function pullAhead<T>(source: AsyncIterable<T>, max: number): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator]() {
      const queue = new BoundedQueue<T>(max)
      const it = source[Symbol.asyncIterator]()
      void (async () => {
        try {
          for (;;) {
            const next = await it.next()
            if (next.done) return queue.end()
            if (!(await queue.push(next.value))) return void (await it.return?.())
          }
        } catch (err) {
          queue.fail(err)
        }
      })()
      return queue[Symbol.asyncIterator]()
    },
  }
}

/**
 * Runs `fn` over items from a (possibly async) iterable with at most `limit` at once and, given a
 * budget, at most `budget.max` of summed weight at once (one item heavier than that runs alone).
 */
export async function runBounded<T>(
  items: AsyncIterable<T> | Iterable<T>,
  limit: number,
  fn: (item: T) => Promise<void>,
  budget?: { max: number; weight: (item: T) => number },
): Promise<void> {
  const active = new Set<Promise<void>>()
  let load = 0
  let failure: unknown
  for await (const item of items) {
    if (failure !== undefined) break
    const w = budget ? budget.weight(item) : 0
    while (active.size > 0 && (active.size >= limit || (budget && load + w > budget.max)))
      await Promise.race(active)
    load += w
    const p = fn(item).catch((err: unknown) => {
      failure ??= err
    })
    const tracked = p.finally(() => {
      active.delete(tracked)
      load -= w
    })
    active.add(tracked)
  }
  await Promise.all(active)
  if (failure !== undefined) throw failure
}
