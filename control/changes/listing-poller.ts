/**
 * Change detection for masters on plain S3 servers (kind `s3`), which have no event stream or
 * webhook: every interval (default 5 s) each such bucket's listing is compared with FaDO's index
 * of it, and the keys that differ (new, changed, gone) are synced like changes from an event.
 * Bounded per interval: at most `keysPerTick` keys of a bucket are listed (10 pages of 1,000);
 * a larger bucket is covered over several intervals, the scan going on from where it stopped.
 */
import type { Logger } from '../../edge/log.js'
import { listBuckets } from '../db/buckets.js'
import type { Queryable } from '../db/client.js'
import { listObjectsPage, type ObjectRow } from '../db/objects.js'
import { listStorageDeployments } from '../db/storage-deployments.js'
import type { StorageRegistry } from '../storage/registry.js'
import { CAPABILITIES, type ObjectEntry } from '../storage/types.js'
import { compareKeys } from '../replication/diff.js'

export interface ListingPollerOptions {
  intervalMs?: number
  keysPerTick?: number
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
  readonly #cursors = new Map<number, string>()
  readonly #intervalMs: number
  readonly #keysPerTick: number
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
    this.#keysPerTick = options.keysPerTick ?? 10_000
  }

  start(): void {
    this.#timer = setInterval(() => void this.tick(), this.#intervalMs)
    this.#timer.unref()
  }

  stop(): void {
    clearInterval(this.#timer)
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
      for (const bucket of await listBuckets(this.db)) {
        if (!s3.has(bucket.storage_id)) continue
        try {
          await this.#scan(bucket.bucket_id, bucket.name, bucket.storage_id)
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

  async #scan(bucketId: number, name: string, storageId: number): Promise<void> {
    const after = this.#cursors.get(bucketId) ?? ''
    const master = await this.storages.get(storageId)
    const listed: ObjectEntry[] = []
    for await (const entry of master.listObjects(name, after)) {
      listed.push(entry)
      if (listed.length >= this.#keysPerTick) break
    }
    const reachedEnd = listed.length < this.#keysPerTick
    const upTo = reachedEnd ? undefined : (listed.at(-1) as ObjectEntry).key
    const indexed: ObjectRow[] = []
    for (let from = after; ;) {
      const page = await listObjectsPage(this.db, bucketId, from, 1_000)
      // S3 key order (UTF-8 bytes), as the listing and the index page are in.
      const inRange = upTo === undefined ? page : page.filter((r) => compareKeys(r.name, upTo) <= 0)
      indexed.push(...inRange)
      if (page.length < 1_000 || inRange.length < page.length) break
      from = (page.at(-1) as ObjectRow).name
    }
    const changed = changedKeys(listed, indexed)
    if (changed.length > 0) this.onChanged(bucketId, changed)
    this.#cursors.set(bucketId, reachedEnd ? '' : (upTo as string))
  }
}
