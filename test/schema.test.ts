/**
 * The schema (thesis appendix A + our migrations) on both engines: migrations, constraints,
 * cascades, and the views returning what thesis table 4.1 shows for the same data.
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { Db } from '../control/db/client.js'
import { loadMigrations, migrate, SchemaTooNewError } from '../control/db/migrate.js'
import {
  deleteObjectByName,
  deleteObjects,
  getObjectByName,
  insertNewObjects,
  upsertObject,
  upsertObjects,
} from '../control/db/objects.js'
import {
  deleteReplicaObjects,
  getReplicaObject,
  upsertReplicaObjects,
} from '../control/db/replica-objects.js'
import { ENGINES, POSTGRES } from './helpers/engines.js'

const open: Db[] = []
afterEach(async () => {
  for (const db of open.splice(0)) await db.close()
})

async function fresh(engine: (typeof ENGINES)[number]): Promise<Db> {
  const db = await engine.open()
  open.push(db)
  return db
}

/** Thesis table 4.1's data: 4 clusters with one FaaS and one storage deployment each. */
async function seedTable41(db: Db): Promise<void> {
  await db.exec(`
    INSERT INTO clusters (cluster_id, name) VALUES (1, 'cluster1'), (2, 'cluster2'), (3, 'cluster3'), (4, 'cluster4');
    INSERT INTO faas_deployments (faas_id, cluster_id, url) VALUES
      (4, 1, 'https://faas.cluster1.fado'), (5, 2, 'https://faas.cluster2.fado'),
      (6, 3, 'https://faas.cluster3.fado'), (7, 4, 'https://faas.cluster4.fado');
    INSERT INTO storage_deployments (storage_id, cluster_id, minio_deployment_id, alias, endpoint, access_key, secret_key, use_ssl) VALUES
      (1, 1, 'd1', 's1', 'minio1:9000', 'a', 's', false), (2, 2, 'd2', 's2', 'minio2:9000', 'a', 's', false),
      (3, 3, 'd3', 's3', 'minio3:9000', 'a', 's', false), (4, 4, 'd4', 's4', 'minio4:9000', 'a', 's', false);
    INSERT INTO buckets (bucket_id, storage_id, name) VALUES
      (6, 1, 'landscapes'), (7, 2, 'measurements'), (8, 3, 'image-recognition'), (9, 4, 'ml');
    INSERT INTO replica_bucket_locations (bucket_id, storage_id) VALUES
      (6, 2), (8, 1), (8, 2), (9, 3), (9, 2);
    SELECT setval('clusters_cluster_id_seq', 10), setval('faas_deployments_faas_id_seq', 10),
           setval('storage_deployments_storage_id_seq', 10), setval('buckets_bucket_id_seq', 10);
  `)
}

const sorted = <T>(xs: T[]): T[] => [...xs].sort()

describe.each(ENGINES)('schema on $name', (engine) => {
  it('applies every migration once, in order, and a second run applies nothing', async () => {
    const db = await fresh(engine)
    const first = await migrate(db)
    expect(first.applied.map((m) => m.id)).toEqual(loadMigrations().map((m) => m.id))
    const second = await migrate(db)
    expect(second.applied).toEqual([])
    const rows = await db.query<{ id: number }>('SELECT id FROM fado_migrations ORDER BY id')
    expect(rows.map((r) => r.id)).toEqual(loadMigrations().map((m) => m.id))
  })

  it('creates the tables, views and initial policies of appendix A', async () => {
    const db = await fresh(engine)
    await migrate(db, loadMigrations().slice(0, 1))
    const tables = await db.query<{ table_name: string; table_type: string }>(
      `SELECT table_name, table_type FROM information_schema.tables WHERE table_schema = 'public'`,
    )
    const byType = (t: string) =>
      sorted(tables.filter((r) => r.table_type === t).map((r) => r.table_name))
    expect(byType('BASE TABLE')).toEqual(
      sorted([
        'policies',
        'global_policies',
        'clusters',
        'clusters_policies',
        'faas_deployments',
        'storage_deployments',
        'buckets',
        'buckets_policies',
        'replica_bucket_locations',
        'objects',
        'fado_migrations',
      ]),
    )
    expect(byType('VIEW')).toEqual(
      sorted(['buckets_faas_deployments', 'existing_bucket_locations', 'bucket_replications']),
    )
    const policies = await db.query<{ name: string; default_value: unknown }>(
      'SELECT name, default_value FROM policies ORDER BY policy_id',
    )
    expect(policies).toEqual([
      { name: 'lb_policy', default_value: 'round_robin' },
      { name: 'lb_match_header', default_value: 'X-FaDO-Bucket' },
      { name: 'lb_upstreams', default_value: [] },
      { name: 'lb_routes', default_value: {} },
      { name: 'lb_route_overrides', default_value: {} },
      { name: 'caddy_config', default_value: '' },
      { name: 'replica_locations', default_value: [] },
      { name: 'target_replica_count', default_value: 0 },
      { name: 'zones', default_value: [] },
    ])
    // The evolution drops the Caddy-era rows, adds sync state and the edge's forwarding settings.
    await migrate(db)
    const after = await db.query<{ name: string }>('SELECT name FROM policies ORDER BY name')
    expect(after.map((p) => p.name)).toEqual(
      sorted([
        'lb_policy',
        'lb_match_header',
        'lb_route_overrides',
        'lb_retries',
        'lb_retry_budget',
        'lb_hash_balance_factor',
        'lb_health_check',
        'lb_function_header',
        'lb_allow_partial',
        'lb_locality',
        'replica_locations',
        'target_replica_count',
        'zones',
      ]),
    )
  })

  it('buckets_faas_deployments returns what thesis table 4.1 shows', async () => {
    const db = await fresh(engine)
    await migrate(db)
    await seedTable41(db)
    const rows = await db.query<{
      bucket_id: number
      bucket_name: string
      faas_ids: number[]
      faas_urls: string[]
    }>('SELECT * FROM buckets_faas_deployments ORDER BY bucket_id')
    expect(
      rows.map((r) => ({ ...r, faas_ids: sorted(r.faas_ids), faas_urls: sorted(r.faas_urls) })),
    ).toEqual([
      {
        bucket_id: 6,
        bucket_name: 'landscapes',
        faas_ids: [4, 5],
        faas_urls: ['https://faas.cluster1.fado', 'https://faas.cluster2.fado'],
      },
      {
        bucket_id: 7,
        bucket_name: 'measurements',
        faas_ids: [5],
        faas_urls: ['https://faas.cluster2.fado'],
      },
      {
        bucket_id: 8,
        bucket_name: 'image-recognition',
        faas_ids: [4, 5, 6],
        faas_urls: [
          'https://faas.cluster1.fado',
          'https://faas.cluster2.fado',
          'https://faas.cluster3.fado',
        ],
      },
      {
        bucket_id: 9,
        bucket_name: 'ml',
        faas_ids: [5, 6, 7],
        faas_urls: [
          'https://faas.cluster2.fado',
          'https://faas.cluster3.fado',
          'https://faas.cluster4.fado',
        ],
      },
    ])
  })

  it('existing_bucket_locations and bucket_replications list replica placements', async () => {
    const db = await fresh(engine)
    await migrate(db)
    await seedTable41(db)
    const locations = await db.query<{ bucket_id: number; storage_ids: number[] }>(
      'SELECT * FROM existing_bucket_locations ORDER BY bucket_id',
    )
    expect(locations.map((l) => ({ ...l, storage_ids: sorted(l.storage_ids) }))).toEqual([
      { bucket_id: 6, storage_ids: [2] },
      { bucket_id: 8, storage_ids: [1, 2] },
      { bucket_id: 9, storage_ids: [2, 3] },
    ])
    const pairs = await db.query(
      `SELECT bucket_name, src_storage_alias, dst_storage_alias, src_minio_deployment_id, dst_minio_deployment_id
       FROM bucket_replications ORDER BY bucket_id, dst_storage_id`,
    )
    expect(pairs).toEqual([
      {
        bucket_name: 'landscapes',
        src_storage_alias: 's1',
        dst_storage_alias: 's2',
        src_minio_deployment_id: 'd1',
        dst_minio_deployment_id: 'd2',
      },
      {
        bucket_name: 'image-recognition',
        src_storage_alias: 's3',
        dst_storage_alias: 's1',
        src_minio_deployment_id: 'd3',
        dst_minio_deployment_id: 'd1',
      },
      {
        bucket_name: 'image-recognition',
        src_storage_alias: 's3',
        dst_storage_alias: 's2',
        src_minio_deployment_id: 'd3',
        dst_minio_deployment_id: 'd2',
      },
      {
        bucket_name: 'ml',
        src_storage_alias: 's4',
        dst_storage_alias: 's2',
        src_minio_deployment_id: 'd4',
        dst_minio_deployment_id: 'd2',
      },
      {
        bucket_name: 'ml',
        src_storage_alias: 's4',
        dst_storage_alias: 's3',
        src_minio_deployment_id: 'd4',
        dst_minio_deployment_id: 'd3',
      },
    ])
  })

  it('bucket_serving_clusters lists the master and only synced replicas', async () => {
    const db = await fresh(engine)
    await migrate(db)
    await seedTable41(db)
    await db.exec(
      `UPDATE replica_bucket_locations SET status = 'synced' WHERE bucket_id = 8 AND storage_id = 1`,
    )
    const rows = await db.query<{ cluster_id: number }>(
      `SELECT cluster_id FROM bucket_serving_clusters WHERE bucket_name = 'image-recognition' ORDER BY cluster_id`,
    )
    expect(rows.map((r) => r.cluster_id)).toEqual([1, 3])
    await expect(
      db.exec(`UPDATE replica_bucket_locations SET status = 'copied' WHERE bucket_id = 8`),
    ).rejects.toMatchObject({ code: '23514' })
  })

  it('enforces unique names, URLs, endpoints and placements', async () => {
    const db = await fresh(engine)
    await migrate(db)
    await seedTable41(db)
    const violations: [string, string][] = [
      [`INSERT INTO clusters (name) VALUES ('cluster1')`, 'clusters_name_key'],
      [
        `INSERT INTO faas_deployments (cluster_id, url) VALUES (2, 'https://faas.cluster1.fado')`,
        'faas_deployments_url_key',
      ],
      [
        `INSERT INTO storage_deployments (cluster_id, minio_deployment_id, alias, endpoint, access_key, secret_key, use_ssl) VALUES (1, 'dx', 's1', 'x:1', 'a', 's', false)`,
        'storage_deployments_alias_key',
      ],
      [
        `INSERT INTO storage_deployments (cluster_id, minio_deployment_id, alias, endpoint, access_key, secret_key, use_ssl) VALUES (1, 'dx', 'sx', 'minio1:9000', 'a', 's', false)`,
        'storage_deployments_endpoint_key',
      ],
      [
        `INSERT INTO storage_deployments (cluster_id, minio_deployment_id, alias, endpoint, access_key, secret_key, use_ssl) VALUES (1, 'd1', 'sx', 'x:1', 'a', 's', false)`,
        'storage_deployments_minio_deployment_id_key',
      ],
      [`INSERT INTO buckets (storage_id, name) VALUES (2, 'ml')`, 'buckets_name_key'],
      [
        `INSERT INTO replica_bucket_locations (bucket_id, storage_id) VALUES (6, 2)`,
        'replica_bucket_locations_bucket_id_storage_id_key',
      ],
    ]
    for (const [sql, constraint] of violations) {
      await expect(db.exec(sql), sql).rejects.toMatchObject({ code: '23505', constraint })
    }
    await db.exec(`INSERT INTO objects (bucket_id, name) VALUES (6, 'a.png')`)
    await expect(
      db.exec(`INSERT INTO objects (bucket_id, name) VALUES (6, 'a.png')`),
    ).rejects.toMatchObject({ code: '23505' })
    await expect(
      db.exec(`INSERT INTO faas_deployments (cluster_id, url) VALUES (99, 'http://x')`),
    ).rejects.toMatchObject({ code: '23503' })
  })

  it('deleting a cluster cascades to its deployments, buckets, replicas, objects and policies', async () => {
    const db = await fresh(engine)
    await migrate(db)
    await seedTable41(db)
    await db.exec(`
      INSERT INTO objects (bucket_id, name) VALUES (6, 'a.png'), (7, 'm.csv');
      INSERT INTO replica_objects (bucket_id, storage_id, name, source_etag, source_size, source_mtime)
        VALUES (6, 2, 'a.png', 'e', 1, now()), (8, 1, 'i.jpg', 'e', 1, now()), (9, 3, 'w.bin', 'e', 1, now()),
               (7, 3, 'm.csv', 'e', 1, now());
      INSERT INTO clusters_policies (cluster_id, policy_id) SELECT 1, policy_id FROM policies WHERE name = 'zones' AND false;
      INSERT INTO clusters_policies (cluster_id, policy_id, value) SELECT 2, policy_id, '["germany"]' FROM policies WHERE name = 'zones';
      INSERT INTO buckets_policies (bucket_id, policy_id, value) SELECT 7, policy_id, '2' FROM policies WHERE name = 'target_replica_count';
    `)
    await db.exec('DELETE FROM clusters WHERE cluster_id = 2')
    const count = async (sql: string) =>
      (await db.query<{ n: number }>(`SELECT count(*) AS n FROM ${sql}`))[0]?.n
    expect(await count('faas_deployments WHERE cluster_id = 2')).toBe(0)
    expect(await count('storage_deployments WHERE cluster_id = 2')).toBe(0)
    expect(await count(`buckets WHERE name = 'measurements'`)).toBe(0)
    expect(await count('replica_bucket_locations WHERE storage_id = 2')).toBe(0)
    expect(await count(`objects WHERE name = 'm.csv'`)).toBe(0)
    // Records of copies: those on the deleted storage, and those of its deleted bucket, elsewhere.
    expect(await count('replica_objects WHERE storage_id = 2')).toBe(0)
    expect(await count('replica_objects WHERE bucket_id = 7')).toBe(0)
    expect(await count('replica_objects')).toBe(2)
    expect(await count('clusters_policies WHERE cluster_id = 2')).toBe(0)
    expect(await count('buckets_policies WHERE bucket_id = 7')).toBe(0)
    // What other clusters hold is untouched.
    expect(await count(`objects WHERE name = 'a.png'`)).toBe(1)
    expect(await count('replica_bucket_locations')).toBe(2)
  })

  it('rows written for a bucket or storage that is gone are not kept (one check per batch)', async () => {
    const db = await fresh(engine)
    await migrate(db)
    await seedTable41(db)
    await db.exec(
      'DELETE FROM buckets WHERE bucket_id = 7; DELETE FROM storage_deployments WHERE storage_id = 4',
    )
    const entry = { name: 'late.csv', size: 1, etag: 'e', last_modified: new Date() }
    await upsertObjects(db, 7, [entry])
    await expect(upsertObject(db, { bucket_id: 7, ...entry })).rejects.toThrow('bucket 7 is gone')
    const record = {
      name: 'late.csv',
      source_etag: 'e',
      source_size: 1,
      source_mtime: new Date(),
      replica_etag: null,
    }
    await upsertReplicaObjects(db, 7, 2, [record])
    await upsertReplicaObjects(db, 6, 4, [record])
    await upsertObjects(db, 6, [entry])
    await upsertReplicaObjects(db, 6, 2, [record])
    expect(await db.query('SELECT bucket_id, name FROM objects')).toEqual([
      { bucket_id: 6, name: 'late.csv' },
    ])
    expect(await db.query('SELECT bucket_id, storage_id FROM replica_objects')).toEqual([
      { bucket_id: 6, storage_id: 2 },
    ])
  })

  it("keeps each bucket's object count and bytes through batches that insert, update and delete", async () => {
    const db = await fresh(engine)
    await migrate(db)
    await seedTable41(db)
    const totals = () =>
      db.query<{ bucket_id: number; object_count: number; total_bytes: number }>(
        'SELECT bucket_id, object_count, total_bytes FROM buckets WHERE bucket_id IN (6, 7) ORDER BY bucket_id',
      )
    const entries = (n: number, size: (i: number) => number) =>
      Array.from({ length: n }, (_, i) => ({
        name: `k${i}`,
        size: size(i),
        etag: `e${size(i)}`,
        last_modified: new Date(),
      }))
    // The first statement inserts only; it also fires the update trigger, with no rows.
    await upsertObjects(
      db,
      6,
      entries(300, () => 10),
    )
    await upsertObjects(
      db,
      7,
      entries(5, () => 1),
    )
    // Half updated (sizes change), half new.
    await upsertObjects(
      db,
      6,
      entries(600, (i) => (i < 300 ? 20 + i : 5)),
    )
    // Updated with sizes unchanged: nothing moves.
    await db.query(`UPDATE objects SET etag = 'x' WHERE bucket_id = 6`)
    const bytes6 = 300 * 20 + (299 * 300) / 2 + 300 * 5
    expect(await totals()).toEqual([
      { bucket_id: 6, object_count: 600, total_bytes: bytes6 },
      { bucket_id: 7, object_count: 5, total_bytes: 5 },
    ])
    await db.query(`DELETE FROM objects WHERE bucket_id = 6 AND name LIKE 'k1%'`)
    const [left] = await db.query<{ n: number; bytes: number }>(
      `SELECT count(*)::int AS n, sum(size)::float8 AS bytes FROM objects WHERE bucket_id = 6`,
    )
    expect((await totals())[0]).toEqual({
      bucket_id: 6,
      object_count: left!.n,
      total_bytes: left!.bytes,
    })
  })

  it('finds, upserts and deletes by name through the one key index, reading no other row', async () => {
    const db = await fresh(engine)
    await migrate(db)
    await seedTable41(db)
    // One index per table holds the key, in S3 key order (sql/0019).
    const indexes = await db.query<{ indexname: string }>(
      `SELECT indexname FROM pg_indexes WHERE tablename IN ('objects', 'replica_objects')
       ORDER BY indexname`,
    )
    expect(indexes.map((i) => i.indexname)).toEqual([
      'objects_bucket_key',
      'objects_pkey',
      'replica_objects_key',
    ])
    const names = Array.from({ length: 3_000 }, (_, i) => `k${String(i).padStart(4, '0')}`)
    const now = new Date()
    await upsertObjects(
      db,
      6,
      names.map((name) => ({ name, size: 1, etag: 'e', last_modified: now })),
    )
    await upsertReplicaObjects(
      db,
      6,
      2,
      names.map((name) => ({
        name,
        source_etag: 'e',
        source_size: 1,
        source_mtime: now,
        replica_etag: 'r',
      })),
    )
    // With statistics, as autovacuum (or db/upkeep.ts) keeps them: the planner may pick any index.
    await db.exec('ANALYZE objects; ANALYZE replica_objects')
    // Rows the statements of this transaction read from each table (scans and index fetches).
    const read = await db.transaction(async (tx) => {
      expect((await getObjectByName(tx, 6, 'k1500'))?.name).toBe('k1500')
      expect(await deleteObjectByName(tx, 6, 'k1501')).toBe(true)
      await deleteObjects(tx, 6, ['k1502', 'k1503'])
      await upsertObjects(tx, 6, [{ name: 'k1504', size: 2, etag: 'f', last_modified: now }])
      expect((await getReplicaObject(tx, 6, 2, 'k1500'))?.replica_etag).toBe('r')
      await deleteReplicaObjects(tx, 6, 2, ['k1501', 'k1502'])
      return tx.query<{ relname: string; n: number }>(
        `SELECT relname, (coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0))::int AS n
         FROM pg_stat_xact_user_tables WHERE relname IN ('objects', 'replica_objects')
         ORDER BY relname`,
      )
    })
    // A lookup that missed the index would read the bucket's 3,000 rows.
    for (const { relname, n } of read) expect(n, relname).toBeLessThan(20)
    expect(read.map((r) => r.relname)).toEqual(['objects', 'replica_objects'])
  })

  it('new objects inserted plainly; one that arrived meanwhile turns the batch into an upsert', async () => {
    const db = await fresh(engine)
    await migrate(db)
    await seedTable41(db)
    const now = new Date()
    const entry = (name: string, size: number) => ({
      name,
      size,
      etag: `e${size}`,
      last_modified: now,
    })
    await insertNewObjects(db, 6, [entry('a', 1), entry('b', 2)])
    // 'b' is there already (a change event came first): no error, every entry written.
    await insertNewObjects(db, 6, [entry('b', 20), entry('c', 3)])
    const rows = await db.query<{ name: string; size: number }>(
      'SELECT name, size::int AS size FROM objects WHERE bucket_id = 6 ORDER BY name',
    )
    expect(rows).toEqual([
      { name: 'a', size: 1 },
      { name: 'b', size: 20 },
      { name: 'c', size: 3 },
    ])
    const [bucket] = await db.query<{ object_count: number; total_bytes: number }>(
      'SELECT object_count::int, total_bytes::int FROM buckets WHERE bucket_id = 6',
    )
    expect(bucket).toEqual({ object_count: 3, total_bytes: 24 })
  })

  it('rolls a failed transaction back completely', async () => {
    const db = await fresh(engine)
    await migrate(db)
    await expect(
      db.transaction(async (tx) => {
        await tx.query(`INSERT INTO clusters (name) VALUES ('kept-only-if-committed')`)
        await tx.query(`INSERT INTO clusters (name) VALUES ('kept-only-if-committed')`)
      }),
    ).rejects.toMatchObject({ code: '23505' })
    expect(await db.query('SELECT * FROM clusters')).toEqual([])
  })

  it('a failing migration leaves nothing behind and is not recorded', async () => {
    const db = await fresh(engine)
    const broken = [
      ...loadMigrations(),
      {
        id: 99,
        name: 'broken',
        sql: 'CREATE TABLE half_done (x int); SELECT * FROM no_such_table;',
      },
    ]
    await expect(migrate(db, broken)).rejects.toThrow(/no_such_table/)
    expect(
      await db.query(`SELECT 1 FROM information_schema.tables WHERE table_name = 'half_done'`),
    ).toEqual([])
    expect(await db.query('SELECT 1 FROM fado_migrations WHERE id = 99')).toEqual([])
  })

  it('refuses a database written by a newer FaDO', async () => {
    const db = await fresh(engine)
    await migrate(db)
    await db.exec(`INSERT INTO fado_migrations (id, name) VALUES (999, 'from_the_future')`)
    await expect(migrate(db)).rejects.toBeInstanceOf(SchemaTooNewError)
    await expect(migrate(db)).rejects.toThrow(/migration 999.*only knows migrations up to/)
  })
})

describe('migrations on a PostgreSQL server', () => {
  it('two processes migrating the same database at once apply each migration exactly once', async () => {
    const target = await POSTGRES.target()
    const { openDb } = await import('../control/db/open.js')
    const runners = await Promise.all([openDb(target), openDb(target), openDb(target)])
    open.push(...runners)
    const results = await Promise.all(runners.map((db) => migrate(db)))
    const appliedIds = results.flatMap((r) => r.applied.map((m) => m.id)).sort((a, b) => a - b)
    expect(appliedIds).toEqual(loadMigrations().map((m) => m.id))
    const rows = await runners[0]!.query<{ n: number }>('SELECT count(*) AS n FROM policies')
    expect(rows[0]?.n).toBe(13)
  })
})

describe('exclusive locks (one bucket is never reconciled twice at once)', () => {
  it('PostgreSQL: a lock held by one process is refused to another until released', async () => {
    const target = await POSTGRES.target()
    const { openDb } = await import('../control/db/open.js')
    const [a, b] = [await openDb(target), await openDb(target)]
    open.push(a, b)
    let release: () => void = () => {}
    const held = a.tryWithLock(
      7,
      42,
      () => new Promise<string>((r) => (release = () => r('a done'))),
    )
    await new Promise((r) => setTimeout(r, 100))
    expect(await b.tryWithLock(7, 42, async () => 'b ran')).toEqual({ acquired: false })
    expect(await b.tryWithLock(7, 43, async () => 'other key')).toEqual({
      acquired: true,
      value: 'other key',
    })
    release()
    expect(await held).toEqual({ acquired: true, value: 'a done' })
    expect(await b.tryWithLock(7, 42, async () => 'b ran')).toEqual({
      acquired: true,
      value: 'b ran',
    })
  })

  it('PostgreSQL: a lock is released when its holder fails', async () => {
    const db = await POSTGRES.open()
    open.push(db)
    await expect(
      db.tryWithLock(7, 1, async () => Promise.reject(new Error('boom'))),
    ).rejects.toThrow('boom')
    expect(await db.tryWithLock(7, 1, async () => 'again')).toEqual({
      acquired: true,
      value: 'again',
    })
  })

  it('PGlite: the same holds within its single process', async () => {
    const db = await ENGINES[1]!.open()
    open.push(db)
    const inner = await db.tryWithLock(7, 42, () => db.tryWithLock(7, 42, async () => 'nested'))
    expect(inner).toEqual({ acquired: true, value: { acquired: false } })
  })
})
