/**
 * Per-upstream state at the edge, keyed by upstream id so it survives snapshot swaps: requests in
 * flight, smoothed latency, and passive health (an upstream that fails is ejected for a backoff
 * that doubles with consecutive failures and resets on success).
 */
import type { PickContext } from './policies/policy.js'

export interface UpstreamHealth {
  id: number
  inflight: number
  latency_ms: number | null
  healthy: boolean
  consecutive_failures: number
  ejected_until: string | null
  /** The active health check's verdict; null when none runs. */
  probe: 'healthy' | 'unhealthy' | null
}

interface Entry {
  inflight: number
  /** When each request in flight began (options.now's clock), oldest first. */
  started: number[]
  ewma: number | undefined
  /** Smoothed count of requests in flight when answers came back (this one included). */
  load: number | undefined
  /** When the last answer came back (ms, options.now's clock). */
  measuredAt: number
  failures: number
  ejectedUntil: number
  /** Active health check verdict (undefined: none). */
  probe: boolean | undefined
}

export interface UpstreamStateOptions {
  now?: () => number
  /** First ejection; doubles per consecutive failure up to maxEjectMs. */
  ejectMs?: number
  maxEjectMs?: number
  /** Weight of the newest latency sample in the EWMA. */
  alpha?: number
  /**
   * A latency measurement loses half its weight every this many ms without a new one, so an
   * upstream passed over for being slow is tried again now and then (default 1 s).
   */
  halfLifeMs?: number
}

export class UpstreamState {
  readonly #entries = new Map<number, Entry>()
  readonly #now: () => number
  readonly #ejectMs: number
  readonly #maxEjectMs: number
  readonly #alpha: number
  readonly #halfLifeMs: number

  constructor(options: UpstreamStateOptions = {}) {
    this.#now = options.now ?? Date.now
    this.#ejectMs = options.ejectMs ?? 1_000
    this.#maxEjectMs = options.maxEjectMs ?? 30_000
    this.#alpha = options.alpha ?? 0.3
    this.#halfLifeMs = options.halfLifeMs ?? 1_000
  }

  #entry(id: number): Entry {
    let entry = this.#entries.get(id)
    if (!entry) {
      entry = {
        inflight: 0,
        started: [],
        ewma: undefined,
        load: undefined,
        measuredAt: 0,
        failures: 0,
        ejectedUntil: 0,
        probe: undefined,
      }
      this.#entries.set(id, entry)
    }
    return entry
  }

  inflight = (id: number): number => this.#entries.get(id)?.inflight ?? 0
  /** Smoothed latency (ms), faded by the time since it was measured (halfLifeMs). */
  latency = (id: number): number | undefined => {
    const entry = this.#entries.get(id)
    return entry === undefined ? undefined : this.#faded(entry)
  }
  #faded(entry: Entry): number | undefined {
    if (entry.ewma === undefined) return undefined
    const age = this.#now() - entry.measuredAt
    return age <= 0 ? entry.ewma : entry.ewma * 2 ** (-age / this.#halfLifeMs)
  }
  /** How many requests were in flight, smoothed, when latency() was measured. */
  concurrency = (id: number): number | undefined => this.#entries.get(id)?.load
  /** ms the oldest request in flight has waited so far; 0 when none is in flight. */
  waited = (id: number): number => {
    const first = this.#entries.get(id)?.started[0]
    return first === undefined ? 0 : Math.max(0, this.#now() - first)
  }

  isAvailable(id: number): boolean {
    const entry = this.#entries.get(id)
    return !entry || (entry.ejectedUntil <= this.#now() && entry.probe !== false)
  }

  /** The active health check's verdict for an upstream (see active-health.ts); null: none. */
  setProbe(id: number, healthy: boolean | null): void {
    this.#entry(id).probe = healthy ?? undefined
  }

  /** A request to this upstream begins; the ticket returned ends it (end or release). */
  begin(id: number): number {
    const entry = this.#entry(id)
    const now = this.#now()
    entry.inflight++
    entry.started.push(now)
    return now
  }

  /** No longer waiting on the request begun at `ticket` (the oldest one when not given). */
  #settle(entry: Entry, ticket: number | undefined): void {
    entry.inflight = Math.max(0, entry.inflight - 1)
    const i = ticket === undefined ? 0 : entry.started.indexOf(ticket)
    entry.started.splice(i < 0 ? 0 : i, 1)
  }

  /**
   * Ends a request begun with begin(); ok=false counts as a failure and ejects the upstream. The
   * latency is peak-sensitive (Finagle's peak EWMA): an answer slower than the (faded) average is
   * taken at once, faster ones bring it down gradually.
   */
  end(id: number, ok: boolean, latencyMs: number, ticket?: number): void {
    const entry = this.#entry(id)
    const inflight = Math.max(1, entry.inflight)
    this.#settle(entry, ticket)
    if (ok) {
      entry.failures = 0
      entry.ejectedUntil = 0
      const current = this.#faded(entry)
      entry.ewma =
        current === undefined || latencyMs > current ? latencyMs : this.#smooth(current, latencyMs)
      entry.load = this.#smooth(entry.load, inflight)
      entry.measuredAt = this.#now()
    } else {
      entry.failures++
      const backoff = Math.min(this.#maxEjectMs, this.#ejectMs * 2 ** (entry.failures - 1))
      entry.ejectedUntil = this.#now() + backoff
    }
  }

  #smooth(current: number | undefined, sample: number): number {
    return current === undefined ? sample : current + this.#alpha * (sample - current)
  }

  /**
   * Ends a request without a verdict (the client went away first): no failure is counted, but the
   * upstream took at least as long as the client waited, which the latency takes in when it is
   * more (a client that gives up on a slow endpoint still tells that it is slow).
   */
  release(id: number, ticket?: number): void {
    const entry = this.#entries.get(id)
    if (!entry) return
    const waited = ticket === undefined ? 0 : this.#now() - ticket
    this.#settle(entry, ticket)
    const current = this.#faded(entry)
    if (current !== undefined && waited > current) {
      entry.ewma = waited
      entry.measuredAt = this.#now()
    }
  }

  /** What a policy sees of this state for one request. */
  pickContext(random: () => number, hashKey: string, balanceFactor = 0): PickContext {
    return {
      random,
      inflight: this.inflight,
      latency: this.latency,
      concurrency: this.concurrency,
      waited: this.waited,
      hashKey,
      balanceFactor,
    }
  }

  report(ids: Iterable<number>): UpstreamHealth[] {
    const now = this.#now()
    return [...ids].map((id) => {
      const e = this.#entries.get(id)
      const ejected = e !== undefined && e.ejectedUntil > now
      return {
        id,
        inflight: e?.inflight ?? 0,
        latency_ms: e?.ewma === undefined ? null : Math.round(e.ewma * 10) / 10,
        healthy: !ejected && e?.probe !== false,
        consecutive_failures: e?.failures ?? 0,
        ejected_until: ejected && e ? new Date(e.ejectedUntil).toISOString() : null,
        probe: e?.probe === undefined ? null : e.probe ? 'healthy' : 'unhealthy',
      }
    })
  }
}
