/**
 * Pure: invocation counts and latency histograms per (bucket, cluster), accumulated by an edge
 * and drained every second or so to whoever charts them (control's traffic series). Latencies go
 * into fixed log-spaced buckets (ten per decade, 1 ms to ~63 s), so histograms from many workers
 * and edges add up, and any quantile is read back to within ~12 %.
 */
import type { InvocationFacts, InvocationMetrics } from './edge-metrics.js'

/** Entries one report to control may carry (an edge with more sends several reports). */
export const MAX_REPORT_ENTRIES = 1_000
/** The most invocations one entry of one report may count (a report covers 5 s). */
export const MAX_REPORT_COUNT = 1_000_000_000

/** Upper bounds (ms) of the latency buckets; one more bucket holds everything above. */
export const LATENCY_BOUNDS_MS: readonly number[] = Array.from(
  { length: 49 },
  (_, i) => Math.round(10 ** (i / 10) * 100) / 100,
)

export interface StatsEntry {
  bucket: string
  cluster: string
  /** The zone of the edge that counted them ('' or absent: an edge that does not know its zone). */
  zone?: string | undefined
  count: number
  /** Of `count`, those served by a cluster outside the edge's zone (demand that is not local). */
  remote?: number | undefined
  /** Bytes answered to clients. */
  bytes?: number | undefined
  /** Answers with a 5xx status. */
  errors: number
  /** Counts per latency bucket (LATENCY_BOUNDS_MS.length + 1 of them). */
  hist: number[]
}

const bucketOf = (ms: number): number => {
  let lo = 0
  let hi = LATENCY_BOUNDS_MS.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (ms <= (LATENCY_BOUNDS_MS[mid] as number)) hi = mid
    else lo = mid + 1
  }
  return lo
}

export const emptyHistogram = (): number[] =>
  new Array<number>(LATENCY_BOUNDS_MS.length + 1).fill(0)

/** Adds `from` into `into` (same length). */
export function addHistogram(into: number[], from: readonly number[]): void {
  for (let i = 0; i < into.length; i++) into[i] = (into[i] ?? 0) + (from[i] ?? 0)
}

/** The q-quantile (0..1) in ms: the upper bound of the bucket it falls in; null when empty. */
export function quantileMs(hist: readonly number[], q: number): number | null {
  const total = hist.reduce((a, b) => a + b, 0)
  if (total === 0) return null
  const rank = Math.max(1, Math.ceil(q * total))
  let seen = 0
  for (let i = 0; i < hist.length; i++) {
    seen += hist[i] ?? 0
    if (seen >= rank)
      return i < LATENCY_BOUNDS_MS.length
        ? (LATENCY_BOUNDS_MS[i] as number)
        : (LATENCY_BOUNDS_MS.at(-1) as number)
  }
  return LATENCY_BOUNDS_MS.at(-1) as number
}

export class InvocationStats implements InvocationMetrics {
  #entries = new Map<string, StatsEntry>()

  invocation(facts: InvocationFacts, seconds: number): void {
    const zone = facts.zone ?? ''
    const key = entryKey({ bucket: facts.bucket, cluster: facts.cluster, zone })
    let entry = this.#entries.get(key)
    if (!entry) {
      entry = {
        bucket: facts.bucket,
        cluster: facts.cluster,
        zone,
        count: 0,
        remote: 0,
        bytes: 0,
        errors: 0,
        hist: emptyHistogram(),
      }
      this.#entries.set(key, entry)
    }
    entry.count++
    if (facts.remote) entry.remote = (entry.remote ?? 0) + 1
    entry.bytes = (entry.bytes ?? 0) + (facts.bytes ?? 0)
    if (facts.code >= 500) entry.errors++
    const i = bucketOf(seconds * 1000)
    entry.hist[i] = (entry.hist[i] ?? 0) + 1
  }

  retries(): void {}

  /** What was counted since the last drain; counting starts afresh. */
  drain(): StatsEntry[] {
    const out = [...this.#entries.values()]
    this.#entries = new Map()
    return out
  }
}

/** What entries are merged under: one per bucket, cluster and edge zone. */
export const entryKey = (e: Pick<StatsEntry, 'bucket' | 'cluster' | 'zone'>): string =>
  `${e.bucket}\n${e.cluster}\n${e.zone ?? ''}`

/** Adds `from` into `into` (the same bucket, cluster and zone). */
export function addEntry(into: StatsEntry, from: StatsEntry): void {
  into.count += from.count
  into.errors += from.errors
  into.remote = (into.remote ?? 0) + (from.remote ?? 0)
  into.bytes = (into.bytes ?? 0) + (from.bytes ?? 0)
  addHistogram(into.hist, from.hist)
}

/** Several sinks as one (Prometheus counters and the chart statistics). */
export function bothMetrics(
  a: InvocationMetrics | undefined,
  b: InvocationMetrics | undefined,
): InvocationMetrics | undefined {
  if (!a || !b) return a ?? b
  return {
    invocation: (facts, seconds) => {
      a.invocation(facts, seconds)
      b.invocation(facts, seconds)
    },
    retries: (count) => {
      a.retries(count)
      b.retries(count)
    },
  }
}
