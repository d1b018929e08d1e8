/** Published route snapshots: the version only grows; the newest row is what edges serve. */
import type { RouteSnapshot, RouteTable } from '../../edge/snapshot.js'
import type { Queryable } from './client.js'
import { getMeta } from './meta.js'

export async function latestSnapshot(q: Queryable): Promise<RouteSnapshot | undefined> {
  const rows = await q.query<{ snapshot: RouteSnapshot }>(
    'SELECT snapshot FROM route_snapshots ORDER BY version DESC LIMIT 1',
  )
  return rows[0]?.snapshot
}

/** Inserts the next version; call inside a transaction holding the publish lock. */
export async function insertSnapshot(
  q: Queryable,
  table: RouteTable,
  now: Date,
): Promise<RouteSnapshot> {
  const rows = await q.query<{ version: number }>(
    'SELECT COALESCE(max(version), 0) + 1 AS version FROM route_snapshots',
  )
  const version = rows[0]?.version ?? 1
  const lineage = (await getMeta(q, 'lineage')) as string
  const snapshot: RouteSnapshot = { lineage, version, generated_at: now.toISOString(), ...table }
  await q.query(
    'INSERT INTO route_snapshots (version, generated_at, snapshot) VALUES ($1, $2, $3::jsonb)',
    [version, now, JSON.stringify(snapshot)],
  )
  return snapshot
}
