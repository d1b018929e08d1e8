/**
 * Many small objects copied to a MinIO replica in batches (one snowball upload per batch), against
 * two real MinIO servers: the replica ends up with exactly the master's objects — keys (non-ASCII,
 * longer than a tar name field), sizes, ETags, Content-Types, FaDO's source-ETag metadata — while
 * keys a tar entry cannot carry exactly, and large objects, go one by one; no archive is left
 * behind; a second pass has nothing to do.
 */
import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { emptyStats, SOURCE_ETAG_META } from '../control/replication/copy.js'
import { syncReplica } from '../control/replication/sync-replica.js'
import { startMinios, type TestMinio } from './helpers/minio.js'
import { fillBucket, listing, randomData, readBytes, s3Of, sha256 } from './helpers/storage.js'

let master: TestMinio
let replica: TestMinio
const BUCKET = 'small-things'
const FILLED = 2_500

/** Objects put one by one, each with its own Content-Type. */
const special: { key: string; type: string; data: Buffer }[] = [
  { key: 'docs/ünïcödé 名前 (1).txt', type: 'text/plain; charset=utf-8', data: randomData(300) },
  { key: `deep/${'segment-'.repeat(30)}end.json`, type: 'application/json', data: randomData(50) },
  { key: 'empty', type: 'application/x-empty', data: Buffer.alloc(0) },
  // Not batchable: a tar entry name would be cleaned to another key ('folder').
  { key: 'folder/', type: 'application/x-directory', data: Buffer.alloc(0) },
  // Too large for a batch: streamed on its own.
  { key: 'big.bin', type: 'application/octet-stream', data: randomData(2 * 1024 * 1024 + 3) },
]

beforeAll(async () => {
  ;[master, replica] = (await startMinios(2)) as [TestMinio, TestMinio]
  await s3Of(master).makeBucket(BUCKET)
  await fillBucket(master, BUCKET, FILLED, { prefix: 'many/', size: 120 })
  for (const s of special)
    await s3Of(master).putObject(BUCKET, s.key, Readable.from([s.data]), s.data.length, {
      contentType: s.type,
    })
})

afterAll(async () => {
  await Promise.all([master, replica].map((m) => m?.destroy()))
})

describe('batched copies of small objects to MinIO', () => {
  it('the replica holds every object with its size, ETag and Content-Type, in a few uploads', async () => {
    const masterListing = await listing(master, BUCKET)
    expect(Object.keys(masterListing ?? {})).toHaveLength(FILLED + special.length)

    const stats = emptyStats()
    await syncReplica(BUCKET, s3Of(master), s3Of(replica), { concurrency: 32, stats })

    expect(await listing(replica, BUCKET)).toEqual(masterListing)
    expect(stats.objects_copied).toBe(FILLED + special.length)
    // 2,503 batchable objects at ≤ 1,000 per batch; folder/ and big.bin alone.
    expect(stats.batch_uploads).toBe(3)
    for (const s of special) {
      const copy = await s3Of(replica).stat(BUCKET, s.key)
      const original = await s3Of(master).stat(BUCKET, s.key)
      expect(copy?.size, s.key).toBe(s.data.length)
      expect(copy?.metadata['content-type'], s.key).toBe(s.type)
      expect(copy?.metadata[SOURCE_ETAG_META], s.key).toBe(original?.etag)
      expect(sha256(await readBytes(replica, BUCKET, s.key)), s.key).toBe(sha256(s.data))
    }
    const sample = await s3Of(replica).stat(BUCKET, 'many/1234')
    expect(sample?.metadata['content-type']).toBe(
      (await s3Of(master).stat(BUCKET, 'many/1234'))?.metadata['content-type'],
    )
    expect((await readBytes(replica, BUCKET, 'many/1234')).toString()).toMatch(/^object 1234 \.+$/)
    // The archives themselves are not stored.
    expect(
      Object.keys((await listing(replica, BUCKET)) ?? {}).some((k) => k.endsWith('.tar')),
    ).toBe(false)
  })

  it('a second pass finds nothing to copy', async () => {
    const stats = emptyStats()
    await syncReplica(BUCKET, s3Of(master), s3Of(replica), { concurrency: 32, stats })
    expect(stats).toEqual(emptyStats())
  })
})
