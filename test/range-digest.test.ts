/**
 * A full pass skips a key range when the database's digest of FaDO's rows there equals the one the
 * listings give (control/replication/digest.ts). The database computes each row's hash in a
 * generated column (sql/0014_range_digests.sql): this holds the two definitions to each other on
 * both engines, with fuzzed keys (any Unicode), sizes and ETags — and shows that a changed row
 * changes the digest.
 */
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Db } from '../control/db/client.js'
import { migrate } from '../control/db/migrate.js'
import { objectsRangeDigest, upsertObjects } from '../control/db/objects.js'
import { replicaObjectsRangeDigest, upsertReplicaObjects } from '../control/db/replica-objects.js'
import { compareKeys } from '../control/replication/diff.js'
import { indexDigest, recordsDigestInSync } from '../control/replication/digest.js'
import { ENGINES } from './helpers/engines.js'
import { insertStorageRow } from './helpers/rows.js'

describe.each(ENGINES)('range digests on $name', (engine) => {
  let db: Db
  let bucketId = 0
  let storageId = 0
  beforeAll(async () => {
    db = await engine.open()
    await migrate(db)
    storageId = await insertStorageRow(db)
  })
  afterAll(async () => db?.close())

  const newBucket = async () => {
    const [b] = await db.query<{ bucket_id: number }>(
      `INSERT INTO buckets (name, storage_id) VALUES ($1, $2) RETURNING bucket_id`,
      [`b${++bucketId}`, storageId],
    )
    return b!.bucket_id
  }

  const entry = fc.record({
    key: fc
      .string({ unit: 'binary', minLength: 1, maxLength: 12 })
      .filter((k) => !k.includes('\0')),
    size: fc.nat({ max: 2 ** 40 }),
    etag: fc.oneof(
      fc.stringMatching(/^[0-9a-f]{32}$/),
      fc.stringMatching(/^[0-9a-f]{32}-\d{1,3}$/),
    ),
  })
  const listing = fc
    .uniqueArray(entry, { selector: (e) => e.key, minLength: 1, maxLength: 40 })
    .map((xs) => xs.sort((a, b) => compareKeys(a.key, b.key)))

  it('the database sums what the pass computes, for the index and for records', async () => {
    await fc.assert(
      fc.asyncProperty(listing, fc.stringMatching(/^[0-9a-f]{32}$/), async (entries, other) => {
        const bucket = await newBucket()
        const everything = { after: '', upTo: null }
        await upsertObjects(
          db,
          bucket,
          entries.map((e) => ({
            name: e.key,
            size: e.size,
            etag: e.etag,
            last_modified: new Date(),
          })),
        )
        const index = await objectsRangeDigest(db, bucket, everything)
        expect(index).toEqual({ count: entries.length, digest: indexDigest(entries) })
        // The replica lists the same keys under its own ETags; FaDO's records name both.
        const replica = entries.map((e, i) => ({ ...e, etag: i % 2 ? other : e.etag }))
        await upsertReplicaObjects(
          db,
          bucket,
          storageId,
          entries.map((e, i) => ({
            name: e.key,
            source_etag: e.etag,
            source_size: e.size,
            source_mtime: new Date(),
            replica_etag: replica[i]!.etag,
          })),
        )
        const records = await replicaObjectsRangeDigest(db, bucket, storageId, everything)
        expect(records).toEqual({
          count: entries.length,
          digest: recordsDigestInSync(entries, replica),
        })
        // A range is a range: the first key alone.
        const first = { after: '', upTo: entries[0]!.key }
        expect((await objectsRangeDigest(db, bucket, first)).digest).toBe(
          indexDigest(entries.slice(0, 1)),
        )
      }),
      { numRuns: 40 },
    )
  })

  it('a changed size, ETag or replica ETag changes the digest; an unknown replica ETag never matches', async () => {
    const bucket = await newBucket()
    const entries = [
      { key: 'a', size: 1, etag: 'e1' },
      { key: 'b', size: 2, etag: 'e2' },
    ]
    const everything = { after: '', upTo: null }
    const write = (size: number, replicaEtag: string | null) =>
      upsertReplicaObjects(db, bucket, storageId, [
        {
          name: 'a',
          source_etag: 'e1',
          source_size: 1,
          source_mtime: new Date(),
          replica_etag: 'r1',
        },
        {
          name: 'b',
          source_etag: 'e2',
          source_size: size,
          source_mtime: new Date(),
          replica_etag: replicaEtag,
        },
      ])
    const inSync = recordsDigestInSync(entries, [
      { key: 'a', size: 1, etag: 'r1' },
      { key: 'b', size: 2, etag: 'r2' },
    ])
    await write(2, 'r2')
    expect((await replicaObjectsRangeDigest(db, bucket, storageId, everything)).digest).toBe(inSync)
    await write(3, 'r2')
    expect((await replicaObjectsRangeDigest(db, bucket, storageId, everything)).digest).not.toBe(
      inSync,
    )
    await write(2, 'r3')
    expect((await replicaObjectsRangeDigest(db, bucket, storageId, everything)).digest).not.toBe(
      inSync,
    )
    await write(2, null)
    expect((await replicaObjectsRangeDigest(db, bucket, storageId, everything)).digest).not.toBe(
      inSync,
    )
  })
})
