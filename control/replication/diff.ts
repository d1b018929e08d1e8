/**
 * Pure: what to do to make a replica listing equal to the master listing, like rsync
 * (thesis §7.3). Both listings (a key range of each) arrive sorted in S3 key order (UTF-8 byte
 * order) and are merge-joined in one pass.
 * An object is the same when size and ETag match; `sameContent` can widen that (e.g. a replica
 * copy of a multipart object, whose ETag differs but which records the master's ETag).
 */

export interface ListedObject {
  key: string
  size: number
  etag: string
}

/** `repair`: the replica's object was changed or added behind FaDO's back (replicaVerdict). */
export type SyncAction<T extends ListedObject = ListedObject> =
  | { op: 'copy'; key: string; source: T; repair?: boolean }
  | { op: 'delete'; key: string; repair?: boolean }

/**
 * S3 lists keys in UTF-8 byte order, which is code point order. JS string order (UTF-16 code
 * units) is the same except where a surrogate (U+D800–DFFF, half of a code point above U+FFFF)
 * meets a unit at or above U+E000: there the surrogate's code point is the greater. So the strings
 * are compared unit by unit, and only the first differing pair is looked at more closely — no
 * encoding, no allocation (a full pass compares every key of a bucket several times).
 */
export function compareKeys(a: string, b: string): number {
  if (a === b) return 0
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i)
    const y = b.charCodeAt(i)
    if (x !== y) {
      if (x < 0xd800 || y < 0xd800) return x - y
      return codePointRank(x) - codePointRank(y)
    }
  }
  return a.length - b.length
}

/** A UTF-16 unit at or above U+D800, ranked as UTF-8 bytes order it: surrogates above the rest. */
const codePointRank = (unit: number): number => (unit <= 0xdfff ? unit + 0x2000 : unit - 0x800)

/** One key of two listings merge-joined: in the left one, the right one, or both. */
export interface Paired<L, R> {
  key: string
  left?: L | undefined
  right?: R | undefined
}

/** Merge-joins two listings sorted in S3 key order, one pair per key. */
export function* joinListings<L extends { key: string }, R extends { key: string }>(
  left: readonly L[],
  right: readonly R[],
): Generator<Paired<L, R>> {
  let i = 0
  let j = 0
  while (i < left.length || j < right.length) {
    const l = left[i]
    const r = right[j]
    const order = l === undefined ? 1 : r === undefined ? -1 : compareKeys(l.key, r.key)
    if (order < 0 && l) {
      yield { key: l.key, left: l }
      i++
    } else if (order > 0 && r) {
      yield { key: r.key, right: r }
      j++
    } else if (l && r) {
      yield { key: l.key, left: l, right: r }
      i++
      j++
    }
  }
}

export function* diffListings<T extends ListedObject, R extends ListedObject>(
  master: readonly T[],
  replica: readonly R[],
  sameContent: (m: T, r: R) => boolean = (m, r) => m.size === r.size && m.etag === r.etag,
): Generator<SyncAction<T>> {
  for (const { key, left: m, right: r } of joinListings(master, replica)) {
    if (!m) yield { op: 'delete', key }
    else if (!r || !sameContent(m, r)) yield { op: 'copy', key, source: m }
  }
}

/** FaDO's record of a replica object: the master version it copied, the replica's ETag for it. */
export interface CopyRecord {
  source_etag: string
  source_size: number
  /** null: not seen listed since it was written (a batch upload gives no per-object ETag). */
  replica_etag: string | null
}

/**
 * What a replica object needs, given the master's object and FaDO's record (pure):
 * - 'same': the record says the master still has what was copied and the replica what was written;
 * - 'adopt': equal without a usable record — same size and ETag (MD5 on both sides), or a record
 *   whose replica ETag is not known yet — so FaDO records it and copies nothing;
 * - 'copy': the master changed since (or never copied);
 * - 'repair': the replica changed behind FaDO's back (its object is not what FaDO wrote), or holds
 *   an object FaDO never wrote and the master does not have: master wins (copy, or delete);
 * - 'delete': the master deleted an object FaDO had copied.
 */
export type ReplicaVerdict = 'same' | 'adopt' | 'copy' | 'repair' | 'delete'

export function replicaVerdict(
  master: ListedObject | undefined,
  replica: ListedObject | undefined,
  record: CopyRecord | undefined,
): ReplicaVerdict {
  if (!master) return record || !replica ? 'delete' : 'repair'
  if (!replica) return record ? 'repair' : 'copy'
  if (!record || record.source_etag !== master.etag || record.source_size !== master.size) {
    if (replica.size === master.size && replica.etag === master.etag) return 'adopt'
    return record && record.replica_etag !== null && record.replica_etag !== replica.etag
      ? 'repair'
      : 'copy'
  }
  if (replica.size !== master.size) return 'repair'
  if (record.replica_etag === null) return 'adopt'
  return record.replica_etag === replica.etag ? 'same' : 'repair'
}
