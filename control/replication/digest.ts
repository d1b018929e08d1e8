/**
 * Digests of a key range, so a full pass over an unchanged bucket need not read FaDO's rows of it:
 * the database sums its rows' hashes in a range (db/objects.ts, db/replica-objects.ts), the pass
 * sums the hashes those rows have when they say what the listings say, and only a range whose two
 * sums differ is read and compared key by key. Pure.
 *
 * A row's line is `<bytes of key>:<key>:<size>:<etag>` (a record adds `:<replica etag>`, `~` when
 * not known yet); its hash, the first 60 bits of the line's MD5 (a change detector, not a
 * signature: whoever can write the storage can change the data anyway). The key's length in bytes
 * first makes the split unambiguous. The database computes the same hash in a generated column
 * (sql/0014_range_digests.sql) whenever a row is written; test/range-digest.test.ts holds the two
 * definitions to each other.
 */
import { hash } from 'node:crypto'
import type { ListedObject } from './diff.js'

const line = (key: string, size: number, etag: string) =>
  `${Buffer.byteLength(key)}:${key}:${size}:${etag}`

/** A row's hash as the database's `line_hash` column holds it (60 bits), as two 30-bit halves. */
function lineHalves(text: string): [number, number] {
  const hex = hash('md5', text, 'hex')
  return [parseInt(hex.slice(0, 8), 16) >>> 2, parseInt(hex.slice(7, 15), 16) & 0x3fffffff]
}

/** Sums row hashes as the database does (exactly: each half stays far below 2^53). */
class HashSum {
  #high = 0
  #low = 0
  add(text: string): void {
    const [high, low] = lineHalves(text)
    this.#high += high
    this.#low += low
  }
  toString(): string {
    return ((BigInt(this.#high) << 30n) + BigInt(this.#low)).toString()
  }
}

/** The digest of the object index's rows for these master entries (name, size, etag). */
export function indexDigest(master: readonly ListedObject[]): string {
  const sum = new HashSum()
  for (const m of master) sum.add(line(m.key, m.size, m.etag))
  return sum.toString()
}

/**
 * The digest FaDO's records of a replica have when every key of the range is in sync: the same
 * keys on master and replica, equal sizes, each record naming the master's size and ETag and the
 * replica's ETag. Undefined when the listings alone show a difference (no record can match then).
 */
export function recordsDigestInSync(
  master: readonly ListedObject[],
  replica: readonly ListedObject[],
): string | undefined {
  if (master.length !== replica.length) return undefined
  const sum = new HashSum()
  for (let i = 0; i < master.length; i++) {
    const m = master[i] as ListedObject
    const r = replica[i] as ListedObject
    if (m.key !== r.key || m.size !== r.size) return undefined
    sum.add(`${line(m.key, m.size, m.etag)}:${r.etag}`)
  }
  return sum.toString()
}

/** The SQL of a range's digest: the sum of its rows' `line_hash`, as text. */
export const DIGEST_SQL = `coalesce(sum(line_hash), 0)::text`

/** A key range (after, upTo]: `upTo` null = to the end of the bucket. */
export interface KeyRange {
  after: string
  upTo: string | null
}
