/**
 * Copies a bucket from a master deployment to its replicas, rsync-like (thesis §7.3), a key range
 * of the master listing at a time (range-listing.ts: listed in control's thread, or in a worker
 * for a large bucket). For each range the index is refreshed (object-index.ts) and, per replica,
 * the replica's listing of the same range is taken; when master and replica list the same keys
 * and sizes, the database's digest of FaDO's records of the range is compared with the digest
 * those records have when all is in sync (digest.ts) — equal, and the range needs nothing, without
 * a record read or its entries. Otherwise the records of the range are read and each key judged
 * (actions.ts): adoptions are recorded at once, copies and deletes queued to the replica's
 * consumer, which carries them out by the step the event path uses too (apply.ts) — small copies
 * to a MinIO replica in batches (batch.ts). Memory stays a few pages, whatever the bucket's size.
 */
import { BoundedQueue, runBounded } from '../lib/concurrency.js'
import type { S3Storage } from '../storage/s3.js'
import { rangeActions, type ReplicaAction, type SyncRecords } from './actions.js'
import { applyAction, backlogBytes } from './apply.js'
import { batchSmallCopies } from './batch.js'
import { batchBounds, controlCopier, type Copier, type SyncStats } from './copy.js'
import { localFeed, type RangeFeed, type StepEntries, type WindowStep } from './range-listing.js'
import type { ObjectIndex } from './object-index.js'
import type { Backlog } from './observer.js'

/** Bytes being copied at once within one bucket: many small objects, or a few large ones. */
export const COPY_BYTES_IN_FLIGHT = 64 * 1024 * 1024

/** Copies and deletes the comparison may run ahead of the replica's consumer (~200 bytes each). */
const READ_AHEAD = 10_000

/** One replica's side of a pass: compares each window, queues what needs doing to its consumer. */
export class ReplicaComparison {
  /** Keys compared (master, replica or record). */
  compared = 0
  /** Set once its listing, its records or its consumer failed: it is compared no further. */
  failure: { error: unknown } | undefined

  constructor(
    private readonly queue: BoundedQueue<ReplicaAction>,
    private readonly records: SyncRecords | undefined,
    private readonly backlog: Backlog | undefined,
  ) {}

  /**
   * Compares a window of the replica's listing: equal digests (the listings agree and FaDO's
   * records say so) and it needs nothing, without its entries; otherwise each key is judged.
   */
  async compare(step: WindowStep, entries: () => Promise<StepEntries>): Promise<void> {
    if (this.failure) return
    try {
      if (this.records && step.inSync !== undefined) {
        const { count, digest } = await this.records.digest(step.range)
        if (count === step.masterCount && digest === step.inSync) {
          this.compared += step.masterCount
          return
        }
      }
      const { master, replica } = await entries()
      const records = this.records ? await this.records.inRange(step.range) : []
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
    } catch (error) {
      this.stop(error)
    }
  }

  /** No more windows: its consumer ends after what is queued (or fails with its failure). */
  finish(error?: unknown): void {
    if (error !== undefined) this.stop(error)
    else if (!this.failure) this.queue.end()
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

export function startReplicaSync(sink: ReplicaSink): ReplicaSync {
  const queue = new BoundedQueue<ReplicaAction>(READ_AHEAD)
  const comparison = new ReplicaComparison(queue, sink.records, sink.backlog)
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

/**
 * Takes a pass's steps (range-listing.ts) to the index and every replica's comparison — a range's
 * index refresh and its windows' comparisons at once, one range after the other — and ends them.
 */
export async function comparePages(
  feed: RangeFeed,
  index: ObjectIndex | undefined,
  replicas: readonly ReplicaComparison[],
): Promise<void> {
  let failure: { error: unknown } | undefined
  let pending: Promise<void>[] = []
  const chains: Promise<void>[] = replicas.map(() => Promise.resolve())
  const settle = async () => {
    await Promise.all([...pending, ...chains])
    pending = []
    if (failure) throw failure.error
  }
  try {
    for await (const step of feed) {
      if (step.type === 'range') {
        await settle() // the previous range first: memory stays a few ranges
        pending.push(
          (index
            ? index.refresh(step, async () => (await feed.entries(step.id)).master)
            : Promise.resolve()
          )
            .catch((error: unknown) => void (failure ??= { error }))
            .finally(() => feed.release(step.id)),
        )
        continue
      }
      const replica = replicas[step.replica] as ReplicaComparison
      chains[step.replica] = (chains[step.replica] as Promise<void>)
        .then(() =>
          step.type === 'window'
            ? replica.compare(step, () => feed.entries(step.id))
            : replica.stop(step.error),
        )
        .finally(() => feed.release(step.id))
    }
    await settle()
  } catch (err) {
    failure ??= { error: err }
    throw err
  } finally {
    // A pass that stops early (a replica's or the index's failure) stops the listings too, and
    // ends only when the work it started on them has.
    await feed.close().catch(() => {})
    await Promise.allSettled([...pending, ...chains])
    for (const r of replicas) r.finish(failure?.error)
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
  const sync = startReplicaSync({
    ...opts,
    bucket,
    replica,
    copier:
      opts.copier ??
      controlCopier(bucket, master, replica, opts.stats, batchBounds(opts.concurrency)),
  })
  const feed = localFeed(master.listPages(bucket), [replica.listPages(bucket)])
  await comparePages(feed, undefined, [sync.comparison]).catch(() => {})
  return sync.done
}
