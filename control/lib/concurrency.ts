/** Bounds on concurrent work: a limiter, a bounded runner with a weight budget, a read-ahead. */

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
 * Pulls `source` ahead of its consumer, up to `max` items, calling `seen` on each as it arrives.
 * A consumer that stops early stops the pulling too.
 */
export async function* readAhead<T>(
  source: AsyncIterable<T>,
  max: number,
  seen: (item: T) => void,
): AsyncGenerator<T> {
  const it = source[Symbol.asyncIterator]()
  const buffer: T[] = []
  let head = 0
  let finished = false
  let stopped = false
  let failure: { error: unknown } | undefined
  let wakeConsumer: (() => void) | undefined
  let wakePump: (() => void) | undefined
  const pump = (async () => {
    try {
      while (!stopped) {
        while (buffer.length - head >= max && !stopped)
          await new Promise<void>((r) => (wakePump = r))
        if (stopped) break
        const next = await it.next()
        if (next.done) break
        seen(next.value)
        buffer.push(next.value)
        wakeConsumer?.()
      }
    } catch (error) {
      failure = { error }
    } finally {
      finished = true
      wakeConsumer?.()
    }
  })()
  try {
    for (;;) {
      if (head < buffer.length) {
        const item = buffer[head++] as T
        if (head > 1024 && head * 2 > buffer.length) {
          buffer.splice(0, head)
          head = 0
        }
        wakePump?.()
        yield item
        continue
      }
      if (failure) throw failure.error
      if (finished) return
      await new Promise<void>((r) => (wakeConsumer = r))
      wakeConsumer = undefined
    }
  } finally {
    stopped = true
    wakePump?.()
    await pump
    if (!failure) await it.return?.()
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
