/**
 * The reads the admin page polls, answered from memory between writes (control/db/read-cache.ts),
 * on both engines: an answer is reused until a write through FaDO — a statement, a transaction
 * (committed or rolled back) — and the next read sees that write; a failed read is not kept; rows
 * handed out are frozen; on PostgreSQL another process's write shows within a second.
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { Db } from '../control/db/client.js'
import { openDb } from '../control/db/open.js'
import { ReadCache } from '../control/db/read-cache.js'
import { ENGINES, POSTGRES } from './helpers/engines.js'

const open: Db[] = []
afterEach(async () => {
  for (const db of open.splice(0)) await db.close()
})

async function cached(db: Db): Promise<ReadCache> {
  open.push(db)
  await db.exec('CREATE TABLE t (id int PRIMARY KEY, note text)')
  await db.exec("INSERT INTO t VALUES (1, 'first')")
  return new ReadCache(db)
}

const notes = async (cache: ReadCache): Promise<string[]> =>
  (await cache.reads.query<{ note: string }>('SELECT note FROM t ORDER BY id')).map((r) => r.note)

describe.each(ENGINES)('read cache on $name', (engine) => {
  it('reuses an answer until FaDO writes; the next read sees the write', async () => {
    const raw = await engine.open()
    const cache = await cached(raw)
    expect(await notes(cache)).toEqual(['first'])
    // Written behind the cache's back: the kept answer is what it serves.
    await raw.query("UPDATE t SET note = 'unseen' WHERE id = 1")
    expect(await notes(cache)).toEqual(['first'])
    // Written through FaDO's handle: forgotten at once.
    await cache.db.query("INSERT INTO t VALUES (2, 'second')")
    expect(await notes(cache)).toEqual(['unseen', 'second'])
    // A statement that is no SELECT, sent through `reads`, is a write too.
    await cache.reads.query('DELETE FROM t WHERE id = 2')
    expect(await notes(cache)).toEqual(['unseen'])
    await cache.db.exec("UPDATE t SET note = 'by exec'")
    expect(await notes(cache)).toEqual(['by exec'])
  })

  it('forgets at the end of every transaction, committed or rolled back', async () => {
    const raw = await engine.open()
    const cache = await cached(raw)
    expect(await notes(cache)).toEqual(['first'])
    await cache.db.transaction(async (tx) => {
      await tx.query("UPDATE t SET note = 'in a transaction' WHERE id = 1")
    })
    expect(await notes(cache)).toEqual(['in a transaction'])
    await raw.query("UPDATE t SET note = 'behind' WHERE id = 1")
    await expect(
      cache.db.transaction(async (tx) => {
        await tx.query('SELECT 1')
        throw new Error('rolled back')
      }),
    ).rejects.toThrow('rolled back')
    expect(await notes(cache)).toEqual(['behind'])
  })

  it('keeps the same statement apart by its parameters, and no failed read', async () => {
    const raw = await engine.open()
    const cache = await cached(raw)
    await cache.db.query("INSERT INTO t VALUES (2, 'second')")
    const byId = async (id: number) =>
      (await cache.reads.query<{ note: string }>('SELECT note FROM t WHERE id = $1', [id]))[0]?.note
    expect(await byId(1)).toBe('first')
    expect(await byId(2)).toBe('second')
    await expect(cache.reads.query('SELECT nothing FROM missing')).rejects.toThrow()
    await raw.exec('CREATE TABLE missing (nothing int)')
    expect(await cache.reads.query('SELECT nothing FROM missing')).toEqual([])
  })

  it('hands out frozen rows: a caller cannot change what the next one gets', async () => {
    const cache = await cached(await engine.open())
    const [row] = await cache.reads.query<{ note: string }>('SELECT note FROM t')
    expect(() => {
      ;(row as { note: string }).note = 'changed'
    }).toThrow(TypeError)
    expect(await notes(cache)).toEqual(['first'])
  })
})

describe('read cache on PostgreSQL with another control process', () => {
  it("shows the other process's write within a second", async () => {
    const target = await POSTGRES.target()
    const cache = await cached(await openDb(target))
    const peer = await openDb(target)
    open.push(peer)
    expect(await notes(cache)).toEqual(['first'])
    await peer.query("UPDATE t SET note = 'from a peer' WHERE id = 1")
    const written = Date.now()
    while ((await notes(cache))[0] !== 'from a peer') {
      expect(Date.now() - written).toBeLessThan(1_500)
      await new Promise((r) => setTimeout(r, 50))
    }
  })
})
