/**
 * Copies one bucket from a master deployment to a replica deployment, rsync-like (thesis §7.3):
 * master and replica listings are merge-joined, and only objects that are missing or differ are
 * copied (streaming GET → PUT, CopyObject cannot cross deployments), extra ones deleted.
 */
import type { ObjectEntry, S3Storage } from '../storage/s3.js'
import { diffListings, type SyncAction } from './diff.js'

/** User metadata on replica copies: the master ETag they were copied from. */
export const SOURCE_ETAG_META = 'fado-source-etag'

export interface SyncStats {
  bytes_copied: number
  objects_copied: number
  objects_deleted: number
}

export const emptyStats = (): SyncStats => ({
  bytes_copied: 0,
  objects_copied: 0,
  objects_deleted: 0,
})

/** Bytes being copied at once within one bucket: many small objects, or a few large ones. */
export const COPY_BYTES_IN_FLIGHT = 64 * 1024 * 1024

export async function syncBucket(
  bucket: string,
  master: S3Storage,
  replica: S3Storage,
  opts: { concurrency: number; stats: SyncStats; bytesInFlight?: number },
): Promise<void> {
  await replica.makeBucket(bucket)
  const actions = diffListings(master.listObjects(bucket), replica.listObjects(bucket))
  const weight = (a: SyncAction<ObjectEntry>) => (a.op === 'copy' ? a.source.size : 0)
  const budget = { max: opts.bytesInFlight ?? COPY_BYTES_IN_FLIGHT, weight }
  await runBounded(
    actions,
    opts.concurrency,
    async (action: SyncAction<ObjectEntry>) => {
      if (action.op === 'delete') {
        await replica.removeObject(bucket, action.key)
        opts.stats.objects_deleted++
        return
      }
      // A multipart master object has an "md5-N" ETag that a single-PUT copy cannot reproduce:
      // the copy records the master ETag in its metadata instead, checked before copying again.
      if (action.source.etag.includes('-')) {
        const existing = await replica.stat(bucket, action.key)
        if (
          existing?.metadata[SOURCE_ETAG_META] === action.source.etag &&
          existing.size === action.source.size
        )
          return
      }
      await copyObject(bucket, action.key, master, replica, opts.stats)
    },
    budget,
  )
}

/** Streams one object from master to replica, recording the master's ETag on the copy. */
export async function copyObject(
  bucket: string,
  key: string,
  master: S3Storage,
  replica: S3Storage,
  stats: SyncStats,
): Promise<void> {
  const source = await master.getObject(bucket, key)
  try {
    await replica.putObject(bucket, key, source.body, source.size, {
      contentType: source.content_type,
      metadata: { [SOURCE_ETAG_META]: source.etag },
    })
  } catch (err) {
    source.body.destroy()
    throw err
  }
  stats.bytes_copied += source.size
  stats.objects_copied++
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
