/**
 * Change detection for masters on plain S3 servers (kind `s3`), which have no event stream or
 * webhook: each bucket is scanned in key order, over and over, and the keys that differ from FaDO's
 * index (new, changed, gone) are synced like changes from an event. The scan goes a key range of
 * a few listing pages at a time, and a range costs the database one sum query: its digest in the
 * index against the listing's (replication/digest.ts); only a range that differs is read. Every
 * interval (default 5 s) the scan lists for at most half the interval, shared among the s3
 * masters' buckets, and goes on from where it stopped — so a bucket of N keys is covered in about
 * N ÷ (its server's listing rate ÷ 2 ÷ the number of such buckets), the server never listing more
 * than half the time. The last complete lap and its duration are kept per bucket (lapOf).
 */
import type { Logger } from '../../edge/log.js'
import { listBuckets } from '../db/buckets.js'
import type { Queryable } from '../db/client.js'
import { listObjectsRange, objectsRangeDigest, type ObjectRow } from '../db/objects.js'
import { listStorageDeployments } from '../db/storage-deployments.js'
import type { StorageRegistry } from '../storage/registry.js'
import { CAPABILITIES, type ObjectEntry } from '../storage/types.js'
import { indexDigest, type KeyRange } from '../replication/digest.js'

export interface ListingPollerOptions {
  intervalMs?: number
  /** Share of each interval spent listing (default 0.5). */
  duty?: number
}

/** Keys compared as one range (a few listing pages: one digest query). */
const RANGE_KEYS = 4_000

/** One complete scan of a bucket: when it ended, how long it took, the keys it listed. */
export interface PollLap {
  endedAt: number
  durationMs: number
  keys: number
}

/** Pure: keys that differ between a listing and the index over the same key range. */
export function changedKeys(
  listed: readonly ObjectEntry[],
  indexed: readonly Pick<ObjectRow, 'name' | 'size' | 'etag'>[],
): string[] {
  const byName = new Map(indexed.map((r) => [r.name, r]))
  const out: string[] = []
  for (const e of listed) {
    const row = byName.get(e.key)
    if (!row || row.etag !== e.etag || Number(row.size) !== e.size) out.push(e.key)
    byName.delete(e.key)
  }
  for (const name of byName.keys()) out.push(name) // in the index, no longer listed
  return out
}

export class ListingPoller {
  readonly #scans = new Map<number, { after: string; startedAt: number; keys: number }>()
  readonly #laps = new Map<number, PollLap>()
  readonly #intervalMs: number
  readonly #duty: number
  #timer: NodeJS.Timeout | undefined
  #running = false

  constructor(
    private readonly db: Queryable,
    private readonly storages: StorageRegistry,
    private readonly onChanged: (bucketId: number, keys: string[]) => void,
    private readonly log: Logger,
    options: ListingPollerOptions = {},
  ) {
    this.#intervalMs = options.intervalMs ?? 5_000
    this.#duty = options.duty ?? 0.5
  }

  start(): void {
    this.#timer = setInterval(() => void this.tick(), this.#intervalMs)
    this.#timer.unref()
  }

  stop(): void {
    clearInterval(this.#timer)
  }

  /** The last complete scan of a bucket, if one ended. */
  lapOf(bucketId: number): PollLap | undefined {
    return this.#laps.get(bucketId)
  }

  /** One interval's work (skipped while the previous one still runs). */
  async tick(): Promise<void> {
    if (this.#running) return
    this.#running = true
    try {
      const s3 = new Set(
        (await listStorageDeployments(this.db))
          .filter((s) => !CAPABILITIES[s.kind].changeEvents)
          .map((s) => s.storage_id),
      )
      if (s3.size === 0) return
      const buckets = (await listBuckets(this.db)).filter((b) => s3.has(b.storage_id))
      // Each bucket's share of the listing time, taken in turn.
      const share = (this.#intervalMs * this.#duty) / Math.max(1, buckets.length)
      for (const bucket of buckets) {
        try {
          await this.#scan(bucket.bucket_id, bucket.name, bucket.storage_id, Date.now() + share)
        } catch (err) {
          this.log.warn('could not compare an s3 master with its index; next interval retries', {
            bucket: bucket.name,
            error: err,
          })
        }
      }
    } catch (err) {
      this.log.warn('s3 change detection failed; next interval retries', { error: err })
    } finally {
      this.#running = false
    }
  }

  /** Scans a bucket's next key ranges until `deadline`, or to the end of a lap. */
  async #scan(bucketId: number, name: string, storageId: number, deadline: number): Promise<void> {
    const scan = this.#scans.get(bucketId) ?? { after: '', startedAt: Date.now(), keys: 0 }
    this.#scans.set(bucketId, scan)
    const master = await this.storages.get(storageId)
    const pages = master.listPages(name, scan.after)[Symbol.asyncIterator]()
    try {
      for (;;) {
        const listed: ObjectEntry[] = []
        let end = false
        while (!end && listed.length < RANGE_KEYS) {
          const next = await pages.next()
          if (next.done) end = true
          else listed.push(...next.value)
        }
        const range: KeyRange = {
          after: scan.after,
          upTo: end ? null : (listed.at(-1) as ObjectEntry).key,
        }
        const { count, digest } = await objectsRangeDigest(this.db, bucketId, range)
        if (count !== listed.length || digest !== indexDigest(listed)) {
          const changed = changedKeys(listed, await listObjectsRange(this.db, bucketId, range))
          if (changed.length > 0) this.onChanged(bucketId, changed)
        }
        scan.keys += listed.length
        if (end) {
          const endedAt = Date.now()
          this.#laps.set(bucketId, {
            endedAt,
            durationMs: endedAt - scan.startedAt,
            keys: scan.keys,
          })
          this.#scans.delete(bucketId)
          return
        }
        scan.after = range.upTo as string
        if (Date.now() >= deadline) return
      }
    } finally {
      await pages.return(undefined)
    }
  }
}
