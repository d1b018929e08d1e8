/**
 * Copies one bucket from a master deployment to a replica deployment, rsync-like (thesis §7.3):
 * master and replica listings are merge-joined, and only objects that are missing or differ are
 * copied (streaming GET → PUT, CopyObject cannot cross deployments), extra ones deleted.
 *
 * Small objects going to a MinIO replica travel in batches: MinIO's snowball upload takes one PUT
 * of a tar and extracts an object per entry (with its Content-Type and metadata, from the entry's
 * pax records) — what MinIO's own batch replication does. Per object, a PUT costs the replica
 * server most of the time a small copy takes; a batch of up to 1,000 costs it one.
 */
import { StorageError, type ObjectEntry, type ObjectStream, type S3Storage } from '../storage/s3.js'
import { tarArchive, type TarFile } from '../storage/tar.js'
import { joinListings, replicaVerdict, type SyncAction } from './diff.js'
import type { KeyedRecord } from './replica-records.js'
import type { Backlog } from './observer.js'

/** User metadata on replica copies: the master ETag they were copied from. */
export const SOURCE_ETAG_META = 'fado-source-etag'

export interface SyncStats {
  bytes_copied: number
  objects_copied: number
  objects_deleted: number
  /** Uploads that carried many small objects at once (counted in objects_copied too). */
  batch_uploads: number
}

export const emptyStats = (): SyncStats => ({
  bytes_copied: 0,
  objects_copied: 0,
  objects_deleted: 0,
  batch_uploads: 0,
})

/** Bytes being copied at once within one bucket: many small objects, or a few large ones. */
export const COPY_BYTES_IN_FLIGHT = 64 * 1024 * 1024

/** Objects up to this size may travel in a batch; at most this many, and bytes, per batch. */
export const BATCH_LIMITS = { objectBytes: 1024 * 1024, objects: 1000, bytes: 8 * 1024 * 1024 }

type Copy = Extract<SyncAction<ObjectEntry>, { op: 'copy' }>
/** An object found equal to the master's without FaDO's record of it: recorded, not copied. */
type Adopt = { op: 'adopt'; key: string; source: ObjectEntry; etag: string }
type Work = SyncAction<ObjectEntry> | Adopt | { op: 'batch'; copies: Copy[]; bytes: number }

/**
 * A key a tar entry reproduces exactly: MinIO cleans entry names (path.Clean), so a key with an
 * empty, '.' or '..' segment, or a leading or trailing '/', is copied on its own.
 */
export const batchableKey = (key: string): boolean =>
  !key.split('/').some((segment) => segment === '' || segment === '.' || segment === '..')

/** Groups the small copies of a stream of actions into batches; everything else passes through. */
export async function* batchSmallCopies(
  actions: AsyncIterable<SyncAction<ObjectEntry> | Adopt>,
  limits = BATCH_LIMITS,
): AsyncGenerator<Work> {
  let copies: Copy[] = []
  let bytes = 0
  const flush = (): Work => {
    const batch: Work = { op: 'batch', copies, bytes }
    copies = []
    bytes = 0
    return batch
  }
  for await (const action of actions) {
    const small =
      action.op === 'copy' &&
      action.source.size <= limits.objectBytes &&
      !action.source.etag.includes('-') &&
      batchableKey(action.key)
    if (!small) {
      yield action
      continue
    }
    if (copies.length > 0 && bytes + action.source.size > limits.bytes) yield flush()
    copies.push(action)
    bytes += action.source.size
    if (copies.length >= limits.objects) yield flush()
  }
  if (copies.length > 0) yield flush()
}

/** At most `n` calls of the functions it is given run at once. */
export function limiter(n: number): <T>(fn: () => Promise<T>) => Promise<T> {
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

/** What a sync records as it goes (replica-records.ts); without one nothing is recorded. */
export interface SyncRecords {
  list(): AsyncIterable<KeyedRecord>
  copied(key: string, source: ObjectEntry, replicaEtag: string | null): Promise<void>
  removed(key: string): Promise<void>
  repaired(key: string): void
  flush(): Promise<void>
}

/**
 * The actions that make a replica equal to the master: the master listing merge-joined with the
 * replica's listing and FaDO's records of it, each key judged by replicaVerdict.
 */
export async function* replicaActions(
  master: AsyncIterable<ObjectEntry>,
  replica: AsyncIterable<ObjectEntry>,
  records: AsyncIterable<KeyedRecord> | Iterable<KeyedRecord>,
): AsyncGenerator<SyncAction<ObjectEntry> | Adopt> {
  const replicaSide = joinListings(replica, records)
  for await (const { key, left: m, right: side } of joinListings(master, replicaSide)) {
    const verdict = replicaVerdict(m, side?.left, side?.right)
    if (verdict === 'same') continue
    if (verdict === 'adopt' && m && side?.left)
      yield { op: 'adopt', key, source: m, etag: side.left.etag }
    else if (m && (verdict === 'copy' || verdict === 'repair'))
      yield { op: 'copy', key, source: m, repair: verdict === 'repair' }
    else yield { op: 'delete', key, repair: verdict === 'repair' }
  }
}

export async function syncReplica(
  bucket: string,
  master: S3Storage,
  replica: S3Storage,
  opts: {
    concurrency: number
    stats: SyncStats
    bytesInFlight?: number
    /** The master's objects, if already listed (the object index): saves listing it again. */
    source?: AsyncIterable<ObjectEntry>
    /** Counts what differs as the listings are compared, and what is done as it is done. */
    backlog?: Backlog
    /** FaDO's records of this replica: read to decide, written as copies are made. */
    records?: SyncRecords
  },
): Promise<void> {
  await replica.makeBucket(bucket)
  const { backlog, records } = opts
  const compared = replicaActions(
    opts.source ?? master.listObjects(bucket),
    replica.listObjects(bucket),
    records?.list() ?? [],
  )
  const sizeOf = (a: Work) => (a.op === 'copy' ? a.source.size : 0)
  // The comparison runs ahead of the copies (up to READ_AHEAD actions), so the backlog shows what
  // is left to do, not only what is in flight.
  const diff = backlog
    ? readAhead(compared, READ_AHEAD, (a) => a.op !== 'adopt' && backlog.found(sizeOf(a)))
    : compared
  const actions: AsyncIterable<Work> = replica.capabilities.batchUploads
    ? batchSmallCopies(diff)
    : diff
  const max = opts.bytesInFlight ?? COPY_BYTES_IN_FLIGHT
  // A batch weighs at least an eighth of the budget: 8 batches at once keep every read busy, and
  // the objects held in memory stay a few thousand whatever the copy concurrency.
  const weight = (a: Work) =>
    a.op === 'copy' ? a.source.size : a.op === 'batch' ? Math.max(a.bytes, max / 8) : 0
  const budget = { max, weight }
  // Reads for batches share one bound, and only a few batch uploads run at once: the replica
  // extracts each with many writers of its own.
  const reads = limiter(opts.concurrency)
  const uploads = limiter(BATCH_UPLOADS)

  let failure: unknown
  try {
    await runBounded(
      actions,
      opts.concurrency,
      async (action: Work) => {
        if (action.op === 'adopt') {
          await records?.copied(action.key, action.source, action.etag)
          return
        }
        if (action.op === 'batch') {
          const copied = await copyBatch(
            bucket,
            action.copies,
            master,
            replica,
            opts.stats,
            reads,
            uploads,
          )
          for (const c of action.copies) {
            const source = copied.get(c.key)
            if (source) await records?.copied(c.key, source.entry, source.etag)
            if (c.repair && source) records?.repaired(c.key)
            backlog?.done(c.source.size, source !== undefined)
          }
          return
        }
        if (action.op === 'delete') {
          await replica.removeObject(bucket, action.key)
          await records?.removed(action.key)
          if (action.repair) records?.repaired(action.key)
          opts.stats.objects_deleted++
          backlog?.done(0, true)
          return
        }
        const copied = await copyObject(bucket, action.key, master, replica, opts.stats)
        if (copied) {
          await records?.copied(action.key, copied.entry, copied.etag)
          if (action.repair) records?.repaired(action.key)
        }
        backlog?.done(action.source.size, copied !== undefined)
      },
      budget,
    )
  } catch (err) {
    failure = err
    throw err
  } finally {
    // What was done is recorded either way; a failure to record does not hide the sync's own.
    await records?.flush().catch((err: unknown) => {
      if (failure === undefined) throw err
    })
  }
}

/** Batch uploads at once per replica. */
const BATCH_UPLOADS = 4

/** Sync actions the listing comparison may run ahead of the copies (~200 bytes each). */
const READ_AHEAD = 10_000

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

/** A copy made: the master version it was read from, and the replica's ETag (null: not said). */
export interface Copied {
  entry: ObjectEntry
  etag: string | null
}

const entryOf = (key: string, source: ObjectStream): ObjectEntry => ({
  key,
  size: source.size,
  etag: source.etag,
  last_modified: source.last_modified,
})

/**
 * Reads every object of a batch from master (into memory: they are small), then writes them to
 * the replica in one snowball upload, each with its Content-Type and the master's ETag. Answers
 * what was copied, by key.
 */
async function copyBatch(
  bucket: string,
  copies: Copy[],
  master: S3Storage,
  replica: S3Storage,
  stats: SyncStats,
  reads: ReturnType<typeof limiter>,
  uploads: ReturnType<typeof limiter>,
): Promise<Map<string, Copied>> {
  const mtime = new Date()
  // An object that has grown past the batch limit since it was listed is copied on its own.
  const grown: string[] = []
  const versions = new Map<string, ObjectEntry>()
  const read = await Promise.all(
    copies.map((copy) =>
      reads(async (): Promise<TarFile | undefined> => {
        const source = await readMaster(master, bucket, copy.key)
        if (!source) return undefined
        if (source.size > BATCH_LIMITS.objectBytes) {
          source.body.destroy()
          grown.push(copy.key)
          return undefined
        }
        const chunks: Buffer[] = []
        for await (const chunk of source.body) chunks.push(chunk as Buffer)
        versions.set(copy.key, entryOf(copy.key, source))
        return {
          name: copy.key,
          data: Buffer.concat(chunks),
          mtime,
          pax: {
            'minio.metadata.Content-Type': source.content_type,
            [`minio.metadata.X-Amz-Meta-${SOURCE_ETAG_META}`]: source.etag,
          },
        }
      }),
    ),
  )
  const files = read.filter((f): f is TarFile => f !== undefined)
  const copied = new Map<string, Copied>()
  if (files.length > 0) {
    await uploads(() => replica.putArchive(bucket, tarArchive(files)))
    for (const f of files) {
      stats.bytes_copied += f.data.length
      // The batch answer carries no per-object ETag: recorded when the replica is next listed.
      copied.set(f.name, { entry: versions.get(f.name) as ObjectEntry, etag: null })
    }
    stats.objects_copied += files.length
    stats.batch_uploads++
  }
  for (const key of grown) {
    const one = await copyObject(bucket, key, master, replica, stats)
    if (one) copied.set(key, one)
  }
  return copied
}

/**
 * The master's object, or undefined when it was deleted since it was listed: its removal is a
 * change of its own (an event, or the next pass), not a failure of this copy.
 */
async function readMaster(
  master: S3Storage,
  bucket: string,
  key: string,
): Promise<ObjectStream | undefined> {
  try {
    return await master.getObject(bucket, key)
  } catch (err) {
    const code = (err as { cause?: { code?: unknown } }).cause?.code
    if (err instanceof StorageError && err.kind === 'not_found' && code === 'NoSuchKey')
      return undefined
    throw err
  }
}

/**
 * Streams one object from master to replica, with the master's ETag in the copy's metadata.
 * Undefined when the master no longer has it (nothing to copy).
 */
export async function copyObject(
  bucket: string,
  key: string,
  master: S3Storage,
  replica: S3Storage,
  stats: SyncStats,
): Promise<Copied | undefined> {
  const source = await readMaster(master, bucket, key)
  if (!source) return undefined
  let etag: string
  try {
    etag = await replica.putObject(bucket, key, source.body, source.size, {
      contentType: source.content_type,
      metadata: { [SOURCE_ETAG_META]: source.etag },
    })
  } catch (err) {
    source.body.destroy()
    throw err
  }
  stats.bytes_copied += source.size
  stats.objects_copied++
  return { entry: entryOf(key, source), etag: etag || null }
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
