/**
 * Pure: what to do to make a replica listing equal to the master listing, like rsync
 * (thesis §7.3). Both listings arrive sorted in S3 key order (UTF-8 byte order) and are
 * merge-joined in one pass, so memory does not grow with the bucket.
 * An object is the same when size and ETag match; `sameContent` can widen that (e.g. a replica
 * copy of a multipart object, whose ETag differs but which records the master's ETag).
 */

export interface ListedObject {
  key: string
  size: number
  etag: string
}

export type SyncAction<T extends ListedObject = ListedObject> =
  { op: 'copy'; key: string; source: T } | { op: 'delete'; key: string }

/** S3 lists keys in UTF-8 byte order; JS string order (UTF-16) differs above U+FFFF. */
export function compareKeys(a: string, b: string): number {
  if (a === b) return 0
  const ba = new TextEncoder().encode(a)
  const bb = new TextEncoder().encode(b)
  const n = Math.min(ba.length, bb.length)
  for (let i = 0; i < n; i++) {
    const d = (ba[i] as number) - (bb[i] as number)
    if (d !== 0) return d
  }
  return ba.length - bb.length
}

export async function* diffListings<T extends ListedObject, R extends ListedObject>(
  master: AsyncIterable<T> | Iterable<T>,
  replica: AsyncIterable<R> | Iterable<R>,
  sameContent: (m: T, r: R) => boolean = (m, r) => m.size === r.size && m.etag === r.etag,
): AsyncGenerator<SyncAction<T>> {
  const mi = toAsync(master)[Symbol.asyncIterator]()
  const ri = toAsync(replica)[Symbol.asyncIterator]()
  let m = await mi.next()
  let r = await ri.next()
  while (!m.done || !r.done) {
    const order = m.done ? 1 : r.done ? -1 : compareKeys(m.value.key, r.value.key)
    if (order < 0 && !m.done) {
      yield { op: 'copy', key: m.value.key, source: m.value }
      m = await mi.next()
    } else if (order > 0 && !r.done) {
      yield { op: 'delete', key: r.value.key }
      r = await ri.next()
    } else if (!m.done && !r.done) {
      if (!sameContent(m.value, r.value)) yield { op: 'copy', key: m.value.key, source: m.value }
      m = await mi.next()
      r = await ri.next()
    }
  }
}

async function* toAsync<T>(items: AsyncIterable<T> | Iterable<T>): AsyncGenerator<T> {
  yield* items
}
