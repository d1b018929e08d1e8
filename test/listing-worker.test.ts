/**
 * A full pass over a large bucket lists, parses and digests in a worker thread: the steps it hands
 * control (key ranges of the master, the replica's windows of each, their digests) and the entries
 * behind them are exactly those listed in control's own thread, on real MinIO servers, also when
 * the worker may hold only one step ahead; a listing that fails reaches control as the failure of
 * the master or of that replica.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { workerFeed } from '../control/replication/listing-worker.js'
import {
  localFeed,
  MasterListingError,
  RANGE_KEYS,
  REPLICA_WINDOW,
  type RangeFeed,
} from '../control/replication/range-listing.js'
import { StorageError } from '../control/storage/errors.js'
import type { S3Storage } from '../control/storage/s3.js'
import { startMinios, type TestMinio } from './helpers/minio.js'
import { fillBucket, putBytes, s3Of } from './helpers/storage.js'

let minios: TestMinio[]
let master: S3Storage
let replica: S3Storage
const MASTER_KEYS = 2 * RANGE_KEYS + 1_500
const EXTRA = REPLICA_WINDOW + 2_000

beforeAll(async () => {
  minios = await startMinios(2)
  ;[master, replica] = minios.map(s3Of) as [S3Storage, S3Storage]
  await master.makeBucket('big')
  await replica.makeBucket('big')
  await fillBucket(minios[0] as TestMinio, 'big', MASTER_KEYS, { width: 5 })
  // The replica: the master's keys but 100 in its first range, one with other bytes, and more
  // extra keys inside that range than one window holds.
  await fillBucket(minios[1] as TestMinio, 'big', MASTER_KEYS - 100, { width: 5, from: 100 })
  await putBytes(minios[1] as TestMinio, 'big', 'obj/00200', Buffer.from('other bytes'))
  await fillBucket(minios[1] as TestMinio, 'big', EXTRA, { prefix: 'obj/00300x/', width: 5 })
}, 240_000)

afterAll(async () => {
  await Promise.all((minios ?? []).map((m) => m.destroy()))
})

/** Every step of a feed with its entries, as control would take them. */
async function steps(feed: RangeFeed) {
  const out: unknown[] = []
  try {
    for await (const step of feed) {
      const entries = step.type === 'replica-failed' ? undefined : await feed.entries(step.id)
      out.push(
        step.type === 'replica-failed'
          ? { ...step, error: (step.error as Error).message }
          : { ...step, entries },
      )
      feed.release(step.id)
    }
  } finally {
    await feed.close()
  }
  return out
}

describe('the listing worker', () => {
  it('hands control the same steps, digests and entries as listing in its own thread', async () => {
    const local = await steps(localFeed(master.listPages('big'), [replica.listPages('big')]))
    const inWorker = await steps(workerFeed('big', master, [replica], 1))
    expect(inWorker).toEqual(local)

    // What the steps say: three master ranges; in the first, the replica's keys span two windows
    // and differ (no digest); the last range, equal on both sides, can be checked by its digest.
    const ranges = local.filter((s) => (s as { type: string }).type === 'range') as {
      count: number
      range: { upTo: string | null }
    }[]
    expect(ranges.map((r) => r.count)).toEqual([
      RANGE_KEYS,
      RANGE_KEYS,
      MASTER_KEYS - 2 * RANGE_KEYS,
    ])
    expect(ranges.at(-1)?.range.upTo).toBeNull()
    const windows = local.filter((s) => (s as { type: string }).type === 'window') as {
      inSync: string | undefined
      entries: { replica: unknown[] }
    }[]
    expect(windows.length).toBeGreaterThanOrEqual(4)
    expect(windows[0]?.inSync).toBeUndefined()
    expect(windows[0]?.entries.replica).toHaveLength(REPLICA_WINDOW)
    expect(windows.at(-1)?.inSync).toMatch(/^\d+$/)
  }, 120_000)

  it('a master that cannot be listed fails the steps; a replica that cannot fails its own', async () => {
    await expect(steps(workerFeed('no-such-bucket', master, []))).rejects.toSatisfy(
      (err) => err instanceof MasterListingError && err.cause instanceof StorageError,
    )
    await master.makeBucket('small')
    await putBytes(minios[0] as TestMinio, 'small', 'one', Buffer.from('1'))
    const [range, failed] = (await steps(
      workerFeed('small', master, [s3Of(minios[1] as TestMinio)]),
    )) as {
      type: string
      error?: string
    }[]
    expect(range?.type).toBe('range')
    expect(failed?.type).toBe('replica-failed')
    expect(failed?.error).toMatch(/small/)
  }, 60_000)
})
