/**
 * Per-bucket work queue (sample-controller's rate-limited queue): requests for the same bucket
 * coalesce (a full pass absorbs key-only work), at most `concurrency` buckets run at once and
 * never the same bucket twice, a failure is retried with exponential backoff (full pass), and a
 * bucket held elsewhere ('busy': another control process has it) is looked at again shortly.
 */
import type { Logger } from '../../edge/log.js'

export interface BucketWork {
  /** A full pass: plan, index, diff every replica. Otherwise only `keys`. */
  full: boolean
  keys: Set<string>
  /** When the oldest of `keys` was asked for (ms): what replication lag is measured from. */
  since?: number
}

export type RunOutcome = 'done' | 'busy'

export interface WorkQueueOptions {
  concurrency: number
  retryBaseMs: number
  retryMaxMs: number
  /** How soon a bucket busy in another process is tried again. */
  busyRetryMs: number
}

export class WorkQueue {
  readonly #pending = new Map<number, BucketWork>()
  readonly #running = new Set<number>()
  readonly #attempts = new Map<number, number>()
  readonly #retryTimers = new Map<number, NodeJS.Timeout>()
  readonly #idle: (() => void)[] = []
  #stopped = false

  constructor(
    private readonly run: (bucketId: number, work: BucketWork) => Promise<RunOutcome>,
    private readonly opts: WorkQueueOptions,
    private readonly log: Logger,
    private readonly onFailure: (bucketId: number, err: unknown) => void = () => {},
  ) {}

  /** Asks for a bucket: fully, or only these keys. Cheap; coalesces with what is queued. */
  schedule(bucketId: number, keys?: Iterable<string>): void {
    if (this.#stopped) return
    const work = this.#pending.get(bucketId) ?? { full: false, keys: new Set<string>() }
    if (keys === undefined) work.full = true
    else {
      for (const k of keys) work.keys.add(k)
      work.since ??= Date.now()
    }
    this.#pending.set(bucketId, work)
    this.#pump()
  }

  /** Is this bucket queued, running or waiting for a retry? */
  has(bucketId: number): boolean {
    return (
      this.#pending.has(bucketId) || this.#running.has(bucketId) || this.#retryTimers.has(bucketId)
    )
  }

  /** Buckets queued, running or waiting for a retry. */
  get size(): number {
    return new Set([...this.#pending.keys(), ...this.#running, ...this.#retryTimers.keys()]).size
  }

  /** Resolves once nothing is queued, running or waiting for a retry. */
  whenIdle(): Promise<void> {
    if (this.size === 0) return Promise.resolve()
    return new Promise((resolve) => this.#idle.push(resolve))
  }

  async stop(): Promise<void> {
    this.#stopped = true
    for (const t of this.#retryTimers.values()) clearTimeout(t)
    this.#retryTimers.clear()
    this.#pending.clear()
    await this.whenIdle()
  }

  #pump(): void {
    for (const [bucketId, work] of this.#pending) {
      if (this.#running.size >= this.opts.concurrency) break
      if (this.#running.has(bucketId) || this.#retryTimers.has(bucketId)) continue
      this.#pending.delete(bucketId)
      this.#running.add(bucketId)
      void this.#attempt(bucketId, work).finally(() => {
        this.#running.delete(bucketId)
        this.#pump()
        if (this.size === 0) for (const resolve of this.#idle.splice(0)) resolve()
      })
    }
  }

  async #attempt(bucketId: number, work: BucketWork): Promise<void> {
    try {
      if ((await this.run(bucketId, work)) === 'busy') {
        this.#retryLater(bucketId, work, this.opts.busyRetryMs)
        return
      }
      this.#attempts.delete(bucketId)
    } catch (err) {
      this.onFailure(bucketId, err)
      const attempts = (this.#attempts.get(bucketId) ?? 0) + 1
      this.#attempts.set(bucketId, attempts)
      const delay = Math.min(this.opts.retryMaxMs, this.opts.retryBaseMs * 2 ** (attempts - 1))
      this.log.warn('reconcile failed; retrying', {
        bucket_id: bucketId,
        attempt: attempts,
        retry_in_ms: delay,
        error: err,
      })
      this.#retryLater(bucketId, { full: true, keys: new Set() }, delay)
    }
  }

  #retryLater(bucketId: number, work: BucketWork, delayMs: number): void {
    if (this.#stopped) return
    clearTimeout(this.#retryTimers.get(bucketId))
    const timer = setTimeout(() => {
      this.#retryTimers.delete(bucketId)
      this.schedule(bucketId, work.full ? undefined : work.keys)
    }, delayMs)
    timer.unref()
    this.#retryTimers.set(bucketId, timer)
  }
}
