/**
 * A full pass's listings cut into the steps it compares (sync-replica.ts): the master's listing in
 * key ranges of a few pages, each followed by every replica's listing of the same range in windows
 * (one, unless the replica holds many more keys there). Each step carries the digests that tell
 * whether FaDO's rows of it can be in sync (digest.ts), so the side that holds the database needs
 * a step's entries only when a digest differs.
 *
 * The same steps are produced in control's own thread (localFeed) or, for a large bucket, in a
 * worker thread (listing-worker.ts) that lists, parses and digests there and hands control each
 * step's counts and digests, the entries only when asked: control's thread then keeps answering
 * the API while a million keys go by.
 */
import { giveWay, pullAhead } from '../lib/concurrency.js'
import type { ObjectEntry } from '../storage/types.js'
import { compareKeys } from './diff.js'
import { indexDigest, recordsDigestInSync, type KeyRange } from './digest.js'

/** Listing pages fetched ahead of the comparison: the storage servers list without pause. */
const PAGES_AHEAD = 8

/** Master entries compared as one key range (a few listing pages). */
export const RANGE_KEYS = 4_000

/** Replica entries compared at once when a master range holds many more on the replica. */
export const REPLICA_WINDOW = 10_000

/** Raised when the master's listing failed part-way: every replica of the pass fails with it. */
export class MasterListingError extends Error {}

/** A step with its entries, where it was listed. */
export type ListedStep =
  | { type: 'range'; id: number; range: KeyRange; master: ObjectEntry[] }
  | {
      type: 'window'
      id: number
      replica: number
      range: KeyRange
      /** The master's entries in the window's range. */
      master: ObjectEntry[]
      replica_entries: ObjectEntry[]
    }
  | { type: 'replica-failed'; id: number; replica: number; error: unknown }

/** A master range: the object index's digest of its entries. */
export interface RangeStep {
  type: 'range'
  id: number
  range: KeyRange
  count: number
  digest: string
}

/** A replica's window: its records' digest when in sync, undefined when the listings differ. */
export interface WindowStep {
  type: 'window'
  id: number
  replica: number
  range: KeyRange
  masterCount: number
  inSync: string | undefined
}

/** A replica's listing failed: it gets no more windows. */
export interface ReplicaFailedStep {
  type: 'replica-failed'
  id: number
  replica: number
  error: unknown
}

export type Step = RangeStep | WindowStep | ReplicaFailedStep

/** A step's entries: the master's in its range, and for a window the replica's. */
export interface StepEntries {
  master: ObjectEntry[]
  replica: ObjectEntry[]
}

/** The entries a listed step holds (none for a failed replica's). */
export function entriesOf(step: ListedStep | undefined): StepEntries {
  return step?.type === 'window'
    ? { master: step.master, replica: step.replica_entries }
    : { master: step?.type === 'range' ? step.master : [], replica: [] }
}

/** The steps of a pass, and each step's entries on request. */
export interface RangeFeed extends AsyncIterable<Step> {
  entries(id: number): Promise<StepEntries>
  /** Done with a step: its entries may go. */
  release(id: number): void
  /** Stops the listings (early, when the pass failed). */
  close(): Promise<void>
}

/** A step's counts and digests (the hashing of thousands of keys). */
export function summarize(step: ListedStep): Step {
  switch (step.type) {
    case 'range':
      return {
        type: 'range',
        id: step.id,
        range: step.range,
        count: step.master.length,
        digest: indexDigest(step.master),
      }
    case 'window':
      return {
        type: 'window',
        id: step.id,
        replica: step.replica,
        range: step.range,
        masterCount: step.master.length,
        inSync: recordsDigestInSync(step.master, step.replica_entries),
      }
    default:
      return step
  }
}

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

/**
 * The master listing, a few pages (a key range) at a time — the last range reaching past the
 * master's last key (what it no longer has) — each followed by every replica's windows of it. A
 * replica whose listing fails gets a 'replica-failed' step and no more windows; a master whose
 * listing fails ends the steps with MasterListingError.
 */
export async function* listRanges(
  master: AsyncIterable<ObjectEntry[]>,
  replicas: readonly AsyncIterable<ObjectEntry[]>[],
): AsyncGenerator<ListedStep> {
  const pages = pullAhead(master, PAGES_AHEAD)[Symbol.asyncIterator]()
  const cursors: (ListingCursor | undefined)[] = replicas.map((r) => new ListingCursor(r))
  let id = 0
  let after = ''
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
      yield { type: 'range', id: id++, range, master: entries }
      for (const [replica, cursor] of cursors.entries()) {
        if (!cursor) continue
        let windowAfter = range.after
        let from = 0
        for (;;) {
          let taken: { entries: ObjectEntry[]; all: boolean }
          try {
            taken = await cursor.take(range.upTo, REPLICA_WINDOW)
          } catch (error) {
            cursors[replica] = undefined
            void cursor.close().catch(() => {})
            yield { type: 'replica-failed', id: id++, replica, error }
            break
          }
          const upTo = taken.all ? range.upTo : (taken.entries.at(-1) as ObjectEntry).key
          let to = from
          while (
            to < entries.length &&
            (upTo === null || compareKeys((entries[to] as ObjectEntry).key, upTo) <= 0)
          )
            to++
          yield {
            type: 'window',
            id: id++,
            replica,
            range: { after: windowAfter, upTo },
            master: entries.slice(from, to),
            replica_entries: taken.entries,
          }
          if (taken.all) break
          windowAfter = upTo as string
          from = to
        }
      }
      if (done) return
      after = range.upTo as string
    }
  } finally {
    // A pass that stops early stops every listing too.
    await pages.return?.()
    await Promise.all(cursors.map((c) => c?.close().catch(() => {})))
  }
}

/** The steps listed and digested in control's own thread (a bucket too small for a worker). */
export function localFeed(
  master: AsyncIterable<ObjectEntry[]>,
  replicas: readonly AsyncIterable<ObjectEntry[]>[],
): RangeFeed {
  const held = new Map<number, ListedStep>()
  const steps = listRanges(master, replicas)
  return {
    async *[Symbol.asyncIterator]() {
      for await (const step of steps) {
        held.set(step.id, step)
        await giveWay() // the digest hashes thousands of keys
        yield summarize(step)
      }
    },
    entries: async (id) => entriesOf(held.get(id)),
    release: (id) => void held.delete(id),
    close: async () => {
      held.clear()
      await steps.return(undefined)
    },
  }
}
