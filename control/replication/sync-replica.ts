/**
 * Copies a bucket from a master deployment to its replicas, rsync-like (thesis §7.3), a page of the
 * master listing at a time. For each page (a key range) the index is refreshed (object-index.ts)
 * and, per replica, the replica's listing of the same range is taken; when master and replica list
 * the same keys and sizes, the database's digest of FaDO's records of the range is compared with
 * the digest those records have when all is in sync (digest.ts) — equal, and the range needs
 * nothing, without a record read. Otherwise the records of the range are read and each key judged
 * (actions.ts): adoptions are recorded at once, copies and deletes queued to the replica's
 * consumer, which carries them out by the step the event path uses too (apply.ts) — small copies
 * to a MinIO replica in batches (batch.ts). Memory stays a few pages, whatever the bucket's size.
 */
import { BoundedQueue, giveWay, pullAhead, runBounded } from '../lib/concurrency.js'
import type { S3Storage } from '../storage/s3.js'
import type { ObjectEntry } from '../storage/types.js'
import { compareKeys } from './diff.js'
import { rangeActions, type ReplicaAction, type SyncRecords } from './actions.js'
import { applyAction, backlogBytes } from './apply.js'
import { batchSmallCopies } from './batch.js'
import { batchBounds, controlCopier, type Copier, type SyncStats } from './copy.js'
import { recordsDigestInSync, type KeyRange } from './digest.js'
import type { ObjectIndex } from './object-index.js'
import type { Backlog } from './observer.js'

/** Bytes being copied at once within one bucket: many small objects, or a few large ones. */
export const COPY_BYTES_IN_FLIGHT = 64 * 1024 * 1024

/** Copies and deletes the comparison may run ahead of the replica's consumer (~200 bytes each). */
const READ_AHEAD = 10_000

/** Listing pages fetched ahead of the comparison: the storage servers list without pause. */
const PAGES_AHEAD = 8

/** Master entries compared as one key range (a few listing pages). */
const RANGE_KEYS = 4_000

/** Replica entries compared at once when a master page's range holds many more on the replica. */
const REPLICA_WINDOW = 10_000

/** Takes a listing's entries up to a key, a page at a time. */
class ListingCursor {
  readonly #pages: AsyncIterator<ObjectEntry[]>
  #page: ObjectEntry[] = []
  #at = 0
  #done = false

  constructor(pages: AsyncIterable<ObjectEntry[]>) {
    this.#pages = pullAhead(pages, PAGES_AHEAD)[Symbol.asyncIterator]()
  }

  /** The next entries with keys up to `upTo` (null: to the end), at most `max` of them. */
  async take(upTo: string | null, max: number): Promise<{ entries: ObjectEntry[]; all: boolean }> {
    const entries: ObjectEntry[] = []
    for (;;) {
      while (this.#at < this.#page.length) {
        const entry = this.#page[this.#at] as ObjectEntry
        if (upTo !== null && compareKeys(entry.key, upTo) > 0) return { entries, all: true }
        if (entries.length === max) return { entries, all: false }
        entries.push(entry)
        this.#at++
      }
      if (this.#done) return { entries, all: true }
      const next = await this.#pages.next()
      if (next.done) this.#done = true
      else {
        this.#page = next.value
        this.#at = 0
      }
    }
  }

  async close(): Promise<void> {
    await this.#pages.return?.()
  }
}

/** One replica's side of a pass: compares each range, queues what needs doing to its consumer. */
export class ReplicaComparison {
  /** Keys compared (master, replica or record). */
  compared = 0
  /** Set once its listing, its records or its consumer failed: it is compared no further. */
  failure: { error: unknown } | undefined
  readonly #cursor: ListingCursor

  constructor(
    listing: AsyncIterable<ObjectEntry[]>,
    private readonly queue: BoundedQueue<ReplicaAction>,
    private readonly records: SyncRecords | undefined,
    private readonly backlog: Backlog | undefined,
  ) {
    this.#cursor = new ListingCursor(listing)
  }

  /** Compares a range; `master` holds the master's entries in it. */
  async compare(master: readonly ObjectEntry[], range: KeyRange): Promise<void> {
    if (this.failure) return
    try {
      let after = range.after
      let from = 0
      for (;;) {
        const { entries, all } = await this.#cursor.take(range.upTo, REPLICA_WINDOW)
        const upTo = all ? range.upTo : (entries.at(-1) as ObjectEntry).key
        let to = from
        while (to < master.length && (upTo === null || compareKeys(master[to]!.key, upTo) <= 0))
          to++
        await this.#compareWindow(master.slice(from, to), entries, { after, upTo })
        if (all) return
        after = upTo as string
        from = to
      }
    } catch (error) {
      this.stop(error)
    }
  }

  async #compareWindow(master: readonly ObjectEntry[], replica: ObjectEntry[], range: KeyRange) {
    await giveWay() // the digest hashes thousands of keys
    if (this.records) {
      const inSync = recordsDigestInSync(master, replica)
      if (inSync !== undefined) {
        const { count, digest } = await this.records.digest(range)
        if (count === master.length && digest === inSync) {
          this.compared += master.length
          return
        }
      }
    }
    const records = this.records ? await this.records.inRange(range) : []
    const { actions, compared } = rangeActions(master, replica, records)
    this.compared += compared
    for (const action of actions) {
      if (action.op === 'adopt') {
        await this.records?.copied(action.key, action.source, action.etag)
        continue
      }
      this.backlog?.found(backlogBytes(action))
      if (!(await this.queue.push(action))) throw new Error('the replica’s copies stopped')
    }
  }

  /** No more ranges: its consumer ends after what is queued (or fails with its failure). */
  async finish(error?: unknown): Promise<void> {
    if (error !== undefined) this.stop(error)
    else if (!this.failure) this.queue.end()
    await this.#cursor.close().catch(() => {})
  }

  stop(error: unknown): void {
    this.failure ??= { error }
    this.queue.fail(error)
  }
}

/** Where a replica's actions go, and how many at once. */
export interface ReplicaSink {
  bucket: string
  replica: S3Storage
  copier: Copier
  stats: SyncStats
  concurrency: number
  bytesInFlight?: number | undefined
  records?: SyncRecords | undefined
  backlog?: Backlog | undefined
}

/** Carries out a replica's queued actions; records what was done, whatever happens. */
async function consume(queue: BoundedQueue<ReplicaAction>, to: ReplicaSink): Promise<void> {
  const actions: AsyncIterable<ReplicaAction> = to.replica.capabilities.batchUploads
    ? batchSmallCopies(queue as AsyncIterable<Exclude<ReplicaAction, { op: 'batch' }>>)
    : queue
  const max = to.bytesInFlight ?? COPY_BYTES_IN_FLIGHT
  // A batch weighs at least an eighth of the budget: 8 batches at once keep every read busy, and
  // the objects held in memory stay a few thousand whatever the copy concurrency.
  const weight = (a: ReplicaAction) =>
    a.op === 'copy' ? a.source.size : a.op === 'batch' ? Math.max(a.bytes, max / 8) : 0
  let failure: unknown
  try {
    await runBounded(actions, to.concurrency, (action) => applyAction(action, to), {
      max,
      weight,
    })
  } catch (err) {
    failure = err
    throw err
  } finally {
    // What was done is recorded either way; a failure to record does not hide the sync's own.
    await to.records?.flush().catch((err: unknown) => {
      if (failure === undefined) throw err
    })
  }
}

/** A replica being synced: its comparison (fed by comparePages) and its consumer's end. */
export interface ReplicaSync {
  comparison: ReplicaComparison
  /** Resolves when every queued action is done; rejects with the sync's failure. */
  done: Promise<{ compared: number }>
}

export function startReplicaSync(
  listing: AsyncIterable<ObjectEntry[]>,
  sink: ReplicaSink,
): ReplicaSync {
  const queue = new BoundedQueue<ReplicaAction>(READ_AHEAD)
  const comparison = new ReplicaComparison(listing, queue, sink.records, sink.backlog)
  const consumed = consume(queue, sink).catch((error: unknown) => {
    comparison.stop(error)
    throw error
  })
  const done = consumed.then(() => {
    if (comparison.failure) throw comparison.failure.error
    return { compared: comparison.compared }
  })
  return { comparison, done }
}

/** Raised when the master's listing failed part-way: every replica of the pass fails with it. */
export class MasterListingError extends Error {}

/**
 * Feeds the master listing, a few pages (a key range) at a time, to the index and every replica's
 * comparison — the last range reaching past the master's last key (what it no longer has) — and
 * ends them.
 */
export async function comparePages(
  master: AsyncIterable<ObjectEntry[]>,
  index: ObjectIndex | undefined,
  replicas: readonly ReplicaComparison[],
): Promise<void> {
  let after = ''
  let failure: unknown
  const pages = pullAhead(master, PAGES_AHEAD)[Symbol.asyncIterator]()
  try {
    for (;;) {
      // A range of a few pages: each range costs the database a digest query per side.
      const entries: ObjectEntry[] = []
      let done = false
      while (!done && entries.length < RANGE_KEYS) {
        try {
          const next = await pages.next()
          if (next.done) done = true
          else entries.push(...next.value)
        } catch (err) {
          throw new MasterListingError((err as Error).message, { cause: err })
        }
      }
      const range: KeyRange = done
        ? { after, upTo: null }
        : { after, upTo: (entries.at(-1) as ObjectEntry).key }
      await Promise.all([
        index?.refresh(entries, range),
        ...replicas.map((r) => r.compare(entries, range)),
      ])
      if (done) return
      after = range.upTo as string
    }
  } catch (err) {
    failure = err
    throw err
  } finally {
    // A pass that stops early (a replica's or the index's failure) stops the master's listing too.
    await pages.return?.()
    await Promise.all(replicas.map((r) => r.finish(failure)))
  }
}

/** Syncs one replica from the master's listing (no index): what the benches and tools call. */
export async function syncReplica(
  bucket: string,
  master: S3Storage,
  replica: S3Storage,
  opts: {
    concurrency: number
    stats: SyncStats
    bytesInFlight?: number
    backlog?: Backlog
    records?: SyncRecords
    copier?: Copier
  },
): Promise<{ compared: number }> {
  await replica.makeBucket(bucket)
  const sync = startReplicaSync(replica.listPages(bucket), {
    ...opts,
    bucket,
    replica,
    copier:
      opts.copier ??
      controlCopier(bucket, master, replica, opts.stats, batchBounds(opts.concurrency)),
  })
  await comparePages(master.listPages(bucket), undefined, [sync.comparison]).catch(() => {})
  return sync.done
}
