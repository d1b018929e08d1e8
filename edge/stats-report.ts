/**
 * What an edge counted, on its way to control (POST /api/edge-stats with the edge's own token):
 * merged per bucket, cluster and zone until sent; what control could not take is kept for the
 * next try (bounded, so an edge cut off from control does not grow). `fado edge` sends every 5 s,
 * a Workers isolate on the first request after 5 s.
 */
import { addEntry, entryKey, MAX_REPORT_ENTRIES, type StatsEntry } from './invocation-stats.js'

/** Entries kept while control does not take them. */
const MAX_PENDING = 10_000

export class StatsReport {
  #pending = new Map<string, StatsEntry>()

  get size(): number {
    return this.#pending.size
  }

  add(entries: readonly StatsEntry[]): void {
    for (const e of entries) {
      const key = entryKey(e)
      const into = this.#pending.get(key)
      if (into) addEntry(into, e)
      else if (this.#pending.size < MAX_PENDING) this.#pending.set(key, { ...e, hist: [...e.hist] })
    }
  }

  /**
   * Sends everything pending, in reports of at most MAX_REPORT_ENTRIES; rejects with the first
   * failure once every report was tried (what failed is pending again).
   */
  async send(controlUrl: string, token: string, timeoutMs = 5_000): Promise<void> {
    const all = [...this.#pending.values()]
    this.#pending = new Map()
    let failure: unknown
    for (let at = 0; at < all.length; at += MAX_REPORT_ENTRIES) {
      const entries = all.slice(at, at + MAX_REPORT_ENTRIES)
      try {
        const res = await fetch(`${controlUrl.replace(/\/$/, '')}/api/edge-stats`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ entries }),
          signal: AbortSignal.timeout(timeoutMs),
        })
        await res.body?.cancel()
        if (!res.ok) throw new Error(`control answered ${res.status}`)
      } catch (err) {
        failure ??= err
        this.add(entries)
      }
    }
    if (failure !== undefined) throw failure
  }
}
