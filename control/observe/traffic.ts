/**
 * The last 15 minutes of traffic and replication, in 10-second slots, for the admin page's
 * charts: per bucket and per cluster the invocations and their latency (histograms added up from
 * every edge: the in-process one and each `fado edge` that reports), per bucket the replication
 * backlog (objects pending, the slot's highest) and the lag of what was replicated. In memory:
 * a restart starts the charts afresh (Prometheus keeps the long history).
 */
import {
  addHistogram,
  emptyHistogram,
  quantileMs,
  type StatsEntry,
} from '../../edge/invocation-stats.js'
import type { ReplicationObserver } from '../replication/observer.js'

export const SLOT_MS = 10_000
export const SLOTS = 90

interface Traffic {
  count: number
  errors: number
  hist: number[]
}

interface Slot {
  start: number
  buckets: Map<string, Traffic>
  clusters: Map<string, Traffic>
  /** Backlog per bucket (all its replicas together): the slot's highest, and where it ended. */
  backlog: Map<string, { max: number; last: number }>
  /** Lags (s) of objects replicated in the slot, per bucket. */
  lags: Map<string, number[]>
  /** Per bucket, per zone of the edges that served them ('' = edges without a zone). */
  demand: Map<string, Map<string, Demand>>
}

interface Demand {
  count: number
  remote: number
  bytes: number
}

/** A bucket's invocations from edges of one zone over a window (GET /api/buckets/{id}). */
export interface ZoneDemand {
  /** The edges' zone; null: edges that do not know their zone. */
  zone: string | null
  invocations: number
  /** Of those, served by a cluster outside the zone. */
  remote: number
  bytes: number
  /** invocations ÷ the window in minutes. */
  per_min: number
}

/** Distinct edge zones kept per bucket and slot. */
export const MAX_ZONES = 64

/** The window demand is shown over unless a bucket's demand settings say otherwise. */
export const DEMAND_WINDOW_S = 300

export interface Series {
  /** Invocations per slot, oldest first. */
  invocations: number[]
  errors: number[]
  p50_ms: (number | null)[]
  p99_ms: (number | null)[]
}

export interface BucketSeries extends Series {
  /** Objects pending replication (all replicas), the slot's highest. */
  backlog: number[]
  /** The slot's highest replication lag in seconds; null: nothing replicated. */
  lag_max_s: (number | null)[]
}

export interface TrafficView {
  slot_seconds: number
  /** When the newest slot began (ISO 8601); the series end there. */
  until: string
  buckets: Record<string, BucketSeries>
  clusters: Record<string, Series>
  /** The edges that reported in the last 15 minutes, per zone they served from. */
  edges: EdgeSeen[]
}

export interface EdgeSeen {
  /** The edge token it reported with; null: this process's own edge (standalone). */
  token_id: number | null
  zone: string | null
  last_report_at: string
  /** Invocations it reported from this zone in the last 15 minutes. */
  invocations: number
}

const emptyTraffic = (): Traffic => ({ count: 0, errors: 0, hist: emptyHistogram() })

export class TrafficSeries implements ReplicationObserver {
  readonly #slots: Slot[] = []
  /** Current backlog per bucket and storage. */
  readonly #pending = new Map<string, Map<string, number>>()
  /** Who reported, per token and zone (bounded like the series: older than 15 minutes goes). */
  readonly #edges = new Map<
    string,
    { token_id: number | null; zone: string; at: number; n: number }
  >()

  constructor(private readonly now: () => number = Date.now) {}

  #slot(at = this.now()): Slot {
    const start = at - (at % SLOT_MS)
    let last = this.#slots.at(-1)
    if (!last || last.start < start) {
      last = {
        start,
        buckets: new Map(),
        clusters: new Map(),
        backlog: new Map(),
        lags: new Map(),
        demand: new Map(),
      }
      this.#slots.push(last)
      while (this.#slots.length > 0 && (this.#slots[0] as Slot).start <= start - SLOTS * SLOT_MS)
        this.#slots.shift()
    }
    return last
  }

  /**
   * Invocation figures an edge drained (bucket '' = refused before routing: not charted), from the
   * edge holding token `tokenId` (null: this process's own).
   */
  add(entries: readonly StatsEntry[], tokenId: number | null = null): void {
    const slot = this.#slot()
    const now = this.now()
    for (const [key, e] of this.#edges) if (e.at <= now - SLOTS * SLOT_MS) this.#edges.delete(key)
    for (const e of entries) {
      const zone = e.zone ?? ''
      const key = `${tokenId}\n${zone}`
      const seen = this.#edges.get(key)
      if (seen) {
        seen.at = now
        seen.n += e.count
      } else if (this.#edges.size < 1_000)
        this.#edges.set(key, { token_id: tokenId, zone, at: now, n: e.count })
    }
    for (const e of entries) {
      const into = (map: Map<string, Traffic>, key: string) => {
        if (!key) return
        let t = map.get(key)
        if (!t) map.set(key, (t = emptyTraffic()))
        t.count += e.count
        t.errors += e.errors
        addHistogram(t.hist, e.hist)
      }
      into(slot.buckets, e.bucket)
      into(slot.clusters, e.cluster)
      if (e.bucket && e.bucket !== '_multiple') {
        let zones = slot.demand.get(e.bucket)
        if (!zones) slot.demand.set(e.bucket, (zones = new Map()))
        // Zones are the edges' words (a zone no cluster has is demand too): at most MAX_ZONES a
        // bucket a slot, the rest counted as no zone, so the series stay bounded.
        const zone = zones.size < MAX_ZONES || zones.has(e.zone ?? '') ? (e.zone ?? '') : ''
        let d = zones.get(zone)
        if (!d) zones.set(zone, (d = { count: 0, remote: 0, bytes: 0 }))
        d.count += e.count
        d.remote += e.remote ?? 0
        d.bytes += e.bytes ?? 0
      }
    }
  }

  /**
   * A bucket's demand per zone over the last `windowS` seconds (whole slots, the current one
   * included), busiest zone first.
   */
  demand(bucket: string, windowS = DEMAND_WINDOW_S): ZoneDemand[] {
    const since =
      this.#slot().start - Math.max(0, Math.ceil((windowS * 1000) / SLOT_MS) - 1) * SLOT_MS
    const sum = new Map<string, Demand>()
    for (const slot of this.#slots) {
      if (slot.start < since) continue
      for (const [zone, d] of slot.demand.get(bucket) ?? []) {
        const into = sum.get(zone) ?? { count: 0, remote: 0, bytes: 0 }
        into.count += d.count
        into.remote += d.remote
        into.bytes += d.bytes
        sum.set(zone, into)
      }
    }
    return [...sum.entries()]
      .map(([zone, d]) => ({
        zone: zone === '' ? null : zone,
        invocations: d.count,
        remote: d.remote,
        bytes: d.bytes,
        per_min: Math.round((d.count / (windowS / 60)) * 10) / 10,
      }))
      .sort((a, b) => b.invocations - a.invocations || String(a.zone).localeCompare(String(b.zone)))
  }

  pending(bucket: string, storage: string, objects: number, _bytes = 0): void {
    const perStorage = this.#pending.get(bucket) ?? new Map<string, number>()
    const sum = () => [...perStorage.values()].reduce((a, b) => a + b, 0)
    const before = sum()
    perStorage.set(storage, Math.max(0, (perStorage.get(storage) ?? 0) + objects))
    this.#pending.set(bucket, perStorage)
    const total = sum()
    const slot = this.#slot()
    // A slot's highest includes the level it started at.
    const max = Math.max(slot.backlog.get(bucket)?.max ?? before, total)
    slot.backlog.set(bucket, { max, last: total })
  }

  replicated(bucket: string, _storage: string, lagSeconds: number): void {
    const slot = this.#slot()
    const lags = slot.lags.get(bucket) ?? []
    lags.push(lagSeconds)
    slot.lags.set(bucket, lags)
  }

  failed(): void {}

  repaired(): void {}

  view(): TrafficView {
    const newest = this.#slot().start
    const starts = Array.from({ length: SLOTS }, (_, i) => newest - (SLOTS - 1 - i) * SLOT_MS)
    const byStart = new Map(this.#slots.map((s) => [s.start, s]))
    const names = (pick: (s: Slot) => Iterable<string>) => {
      const out = new Set<string>()
      for (const s of this.#slots) for (const n of pick(s)) out.add(n)
      return [...out].sort()
    }
    const series = (pick: (s: Slot) => Traffic | undefined): Series => {
      const out: Series = { invocations: [], errors: [], p50_ms: [], p99_ms: [] }
      for (const start of starts) {
        const slot = byStart.get(start)
        const t = slot ? pick(slot) : undefined
        out.invocations.push(t?.count ?? 0)
        out.errors.push(t?.errors ?? 0)
        out.p50_ms.push(t ? quantileMs(t.hist, 0.5) : null)
        out.p99_ms.push(t ? quantileMs(t.hist, 0.99) : null)
      }
      return out
    }
    const buckets: Record<string, BucketSeries> = {}
    for (const name of names((s) => [...s.buckets.keys(), ...s.backlog.keys(), ...s.lags.keys()])) {
      // The backlog is a level: a slot without a change keeps where the one before ended.
      let level = 0
      const backlog = starts.map((start) => {
        const seen = byStart.get(start)?.backlog.get(name)
        if (!seen) return level
        level = seen.last
        return seen.max
      })
      buckets[name] = {
        ...series((s) => s.buckets.get(name)),
        backlog,
        lag_max_s: starts.map((start) => {
          const lags = byStart.get(start)?.lags.get(name)
          return lags?.length ? Math.round(Math.max(...lags) * 1000) / 1000 : null
        }),
      }
    }
    const clusters: Record<string, Series> = {}
    for (const name of names((s) => s.clusters.keys()))
      clusters[name] = series((s) => s.clusters.get(name))
    const edges = [...this.#edges.values()]
      .filter((e) => e.at > this.now() - SLOTS * SLOT_MS)
      .sort((a, b) => (a.token_id ?? 0) - (b.token_id ?? 0) || a.zone.localeCompare(b.zone))
      .map((e) => ({
        token_id: e.token_id,
        zone: e.zone === '' ? null : e.zone,
        last_report_at: new Date(e.at).toISOString(),
        invocations: e.n,
      }))
    return {
      slot_seconds: SLOT_MS / 1000,
      until: new Date(newest).toISOString(),
      buckets,
      clusters,
      edges,
    }
  }
}

/** Several replication observers as one. */
export const observeAll = (...observers: ReplicationObserver[]): ReplicationObserver => ({
  pending: (b, s, o, bytes) => observers.forEach((x) => x.pending(b, s, o, bytes)),
  replicated: (b, s, lag) => observers.forEach((x) => x.replicated(b, s, lag)),
  failed: (b, s) => observers.forEach((x) => x.failed(b, s)),
  repaired: (b, s, n) => observers.forEach((x) => x.repaired(b, s, n)),
})
