/**
 * Copies one bucket from a master deployment to a replica deployment, rsync-like (thesis §7.3):
 * master and replica listings are merge-joined (actions.ts), and only objects that are missing or
 * differ are copied (copy.ts), extra ones deleted — small copies to a MinIO replica in batches
 * (batch.ts), each action carried out by the step the event path uses too (apply.ts).
 */
import { readAhead, runBounded } from '../lib/concurrency.js'
import type { S3Storage } from '../storage/s3.js'
import type { ObjectEntry } from '../storage/types.js'
import { replicaActions, type ReplicaAction, type SyncRecords } from './actions.js'
import { applyAction, backlogBytes } from './apply.js'
import { batchSmallCopies } from './batch.js'
import { batchBounds, controlCopier, type Copier, type SyncStats } from './copy.js'
import type { Backlog } from './observer.js'

/** Bytes being copied at once within one bucket: many small objects, or a few large ones. */
export const COPY_BYTES_IN_FLIGHT = 64 * 1024 * 1024

/** Sync actions the listing comparison may run ahead of the copies (~200 bytes each). */
const READ_AHEAD = 10_000

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
    /** Who moves the bytes; control itself unless said (an agent: control/agents/). */
    copier?: Copier
  },
): Promise<{ compared: number }> {
  await replica.makeBucket(bucket)
  const { backlog, records } = opts
  let keys = 0
  const compared = replicaActions(
    opts.source ?? master.listObjects(bucket),
    replica.listObjects(bucket),
    records?.list() ?? [],
    () => keys++,
  )
  // The comparison runs ahead of the copies (up to READ_AHEAD actions), so the backlog shows what
  // is left to do, not only what is in flight.
  const diff = backlog
    ? readAhead(compared, READ_AHEAD, (a) => a.op !== 'adopt' && backlog.found(backlogBytes(a)))
    : compared
  const actions: AsyncIterable<ReplicaAction> = replica.capabilities.batchUploads
    ? batchSmallCopies(diff)
    : diff
  const max = opts.bytesInFlight ?? COPY_BYTES_IN_FLIGHT
  // A batch weighs at least an eighth of the budget: 8 batches at once keep every read busy, and
  // the objects held in memory stay a few thousand whatever the copy concurrency.
  const weight = (a: ReplicaAction) =>
    a.op === 'copy' ? a.source.size : a.op === 'batch' ? Math.max(a.bytes, max / 8) : 0
  const target = {
    bucket,
    replica,
    copier:
      opts.copier ??
      controlCopier(bucket, master, replica, opts.stats, batchBounds(opts.concurrency)),
    stats: opts.stats,
    records,
    backlog,
  }
  let failure: unknown
  try {
    await runBounded(actions, opts.concurrency, (action) => applyAction(action, target), {
      max,
      weight,
    })
  } catch (err) {
    failure = err
    throw err
  } finally {
    // What was done is recorded either way; a failure to record does not hide the sync's own.
    await records?.flush().catch((err: unknown) => {
      if (failure === undefined) throw err
    })
  }
  return { compared: keys }
}
