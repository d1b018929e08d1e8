/**
 * Agents and their work (issue 22): the agent processes that reported themselves, and the pieces
 * of copy work control leases to them. A claim is one statement (FOR UPDATE SKIP LOCKED), so
 * several agents — and several control processes — never take the same piece at once.
 */
import type { Queryable } from './client.js'

export interface AgentRow {
  agent_id: string
  cluster_id: number
  version: string
  started_at: Date
  last_seen_at: Date
  bytes_moved: number
  objects_moved: number
  work_done: number
  work_failed: number
  reports_refused: number
  /** Pieces of work it holds a lease on now. */
  in_flight: number
}

/** An agent said it is there: recorded (or its last-seen time moved on). */
export async function agentSeen(
  q: Queryable,
  agent: { agent_id: string; cluster_id: number; token_id: number | null; version: string },
): Promise<{ first: boolean }> {
  const [row] = await q.query<{ first: boolean }>(
    `INSERT INTO agents (agent_id, cluster_id, token_id, version) VALUES ($1, $2, $3, $4)
     ON CONFLICT (agent_id) DO UPDATE
       SET last_seen_at = now(), version = EXCLUDED.version, cluster_id = EXCLUDED.cluster_id,
           token_id = EXCLUDED.token_id
     RETURNING (xmax = 0) AS first`,
    [agent.agent_id, agent.cluster_id, agent.token_id, agent.version],
  )
  return { first: row?.first === true }
}

export async function listAgents(q: Queryable): Promise<AgentRow[]> {
  return q.query<AgentRow>(
    `SELECT a.agent_id, a.cluster_id, a.version, a.started_at, a.last_seen_at, a.bytes_moved,
            a.objects_moved, a.work_done, a.work_failed, a.reports_refused,
            (SELECT count(*) FROM agent_work w
              WHERE w.agent_id = a.agent_id AND w.state = 'leased' AND w.lease_until > now())::int
              AS in_flight
     FROM agents a ORDER BY a.cluster_id, a.started_at, a.agent_id`,
  )
}

/** Clusters with an agent seen within `withinMs`. */
export async function liveAgentClusters(q: Queryable, withinMs: number): Promise<Set<number>> {
  const rows = await q.query<{ cluster_id: number }>(
    `SELECT DISTINCT cluster_id FROM agents
     WHERE last_seen_at > now() - make_interval(secs => $1::double precision / 1000)`,
    [withinMs],
  )
  return new Set(rows.map((r) => r.cluster_id))
}

/** Agents not seen for a day are forgotten. */
export async function forgetGoneAgents(q: Queryable): Promise<void> {
  await q.query(`DELETE FROM agents WHERE last_seen_at < now() - interval '1 day'`)
}

/** One object of a piece of work: what the pass saw on the master when it asked. */
export interface WorkObject {
  key: string
  size: number
  etag: string
}

export type WorkKind = 'copy' | 'batch'

export interface WorkRow {
  work_id: number
  cluster_id: number
  bucket_id: number
  master_id: number
  replica_id: number
  kind: WorkKind
  objects: WorkObject[]
  state: 'queued' | 'leased' | 'done' | 'failed'
  agent_id: string | null
  lease: number
  lease_until: Date | null
  upload_id: string | null
  result: unknown
  /** The bucket's name. */
  bucket: string
}

const WORK_COLUMNS = `work_id, cluster_id, bucket_id, master_id, replica_id, kind, objects, state,
  agent_id, lease, lease_until, upload_id, result,
  (SELECT b.name FROM buckets b WHERE b.bucket_id = agent_work.bucket_id) AS bucket`

const secs = (param: string) => `make_interval(secs => ${param}::double precision / 1000)`

export async function insertWork(
  q: Queryable,
  work: Pick<
    WorkRow,
    'cluster_id' | 'bucket_id' | 'master_id' | 'replica_id' | 'kind' | 'objects'
  > & {
    wantedMs: number
  },
): Promise<number> {
  const [row] = await q.query<{ work_id: number }>(
    `INSERT INTO agent_work (cluster_id, bucket_id, master_id, replica_id, kind, objects, wanted_until)
     VALUES ($1, $2, $3, $4, $5, $6, now() + ${secs('$7')}) RETURNING work_id`,
    [
      work.cluster_id,
      work.bucket_id,
      work.master_id,
      work.replica_id,
      work.kind,
      JSON.stringify(work.objects),
      work.wantedMs,
    ],
  )
  if (!row) throw new Error('INSERT … RETURNING returned no row')
  return Number(row.work_id)
}

/**
 * Leases up to `max` pieces of a cluster's work to an agent: pieces nobody holds, or whose lease
 * lapsed (its agent died or stopped), that a pass still wants. Each claim starts a new lease.
 */
export async function claimWork(
  q: Queryable,
  claim: { cluster_id: number; agent_id: string; max: number; leaseMs: number },
): Promise<WorkRow[]> {
  const rows = await q.query<WorkRow>(
    `UPDATE agent_work SET state = 'leased', agent_id = $2, lease = lease + 1,
       lease_until = now() + ${secs('$4')}, upload_id = NULL
     WHERE work_id IN (
       SELECT work_id FROM agent_work
       WHERE cluster_id = $1 AND wanted_until > now()
         AND (state = 'queued' OR (state = 'leased' AND lease_until < now()))
       ORDER BY work_id LIMIT $3 FOR UPDATE SKIP LOCKED)
     RETURNING ${WORK_COLUMNS}`,
    [claim.cluster_id, claim.agent_id, claim.max, claim.leaseMs],
  )
  return rows.map(normalise)
}

const normalise = (row: WorkRow): WorkRow => ({ ...row, work_id: Number(row.work_id) })

export async function getWork(q: Queryable, workId: number): Promise<WorkRow | undefined> {
  const rows = await q.query<WorkRow>(`SELECT ${WORK_COLUMNS} FROM agent_work WHERE work_id = $1`, [
    workId,
  ])
  return rows[0] && normalise(rows[0])
}

/** The holder of a live lease: the row, or undefined when that lease is no longer live. */
export async function renewLease(
  q: Queryable,
  held: { work_id: number; agent_id: string; lease: number; leaseMs: number },
): Promise<WorkRow | undefined> {
  const rows = await q.query<WorkRow>(
    `UPDATE agent_work SET lease_until = now() + ${secs('$4')}
     WHERE work_id = $1 AND agent_id = $2 AND lease = $3 AND state = 'leased' AND lease_until > now()
     RETURNING ${WORK_COLUMNS}`,
    [held.work_id, held.agent_id, held.lease, held.leaseMs],
  )
  return rows[0] && normalise(rows[0])
}

/** The multipart upload a lease writes into (started when the lease was handed out). */
export async function setUploadId(
  q: Queryable,
  held: { work_id: number; lease: number; upload_id: string },
): Promise<void> {
  await q.query(`UPDATE agent_work SET upload_id = $3 WHERE work_id = $1 AND lease = $2`, [
    held.work_id,
    held.lease,
    held.upload_id,
  ])
}

/**
 * Records the result of a piece of work under a live lease; false when the lease is no longer
 * live (lapsed, or re-offered and claimed by another agent): the result is refused.
 */
export async function finishWork(
  q: Queryable,
  held: { work_id: number; agent_id: string; lease: number },
  outcome: { state: 'done' | 'failed'; result: unknown; bytes: number; objects: number },
): Promise<boolean> {
  const rows = await q.query(
    `UPDATE agent_work SET state = $4, result = $5, lease_until = NULL
     WHERE work_id = $1 AND agent_id = $2 AND lease = $3 AND state = 'leased' AND lease_until > now()
     RETURNING work_id`,
    [held.work_id, held.agent_id, held.lease, outcome.state, JSON.stringify(outcome.result)],
  )
  const accepted = rows.length > 0
  if (accepted)
    await q.query(
      `UPDATE agents SET bytes_moved = bytes_moved + $2, objects_moved = objects_moved + $3,
         work_done = work_done + ($4 = 'done')::int, work_failed = work_failed + ($4 = 'failed')::int,
         last_seen_at = now()
       WHERE agent_id = $1`,
      [held.agent_id, outcome.bytes, outcome.objects, outcome.state],
    )
  else
    await q.query(
      'UPDATE agents SET reports_refused = reports_refused + 1, last_seen_at = now() WHERE agent_id = $1',
      [held.agent_id],
    )
  return accepted
}

/** An agent gives a piece back under its live lease: offered again at once. */
export async function releaseWork(
  q: Queryable,
  held: { work_id: number; agent_id: string; lease: number },
): Promise<boolean> {
  const rows = await q.query(
    `UPDATE agent_work SET state = 'queued', agent_id = NULL, lease_until = NULL, upload_id = NULL
     WHERE work_id = $1 AND agent_id = $2 AND lease = $3 AND state = 'leased' AND lease_until > now()
     RETURNING work_id`,
    [held.work_id, held.agent_id, held.lease],
  )
  return rows.length > 0
}

/** The pass still waits for these pieces: nobody should give up on them yet. */
export async function stillWanted(
  q: Queryable,
  workIds: number[],
  wantedMs: number,
): Promise<void> {
  if (workIds.length === 0) return
  await q.query(
    `UPDATE agent_work SET wanted_until = now() + ${secs('$2')} WHERE work_id = ANY($1::bigint[])`,
    [workIds, wantedMs],
  )
}

export async function deleteWork(q: Queryable, workId: number): Promise<void> {
  await q.query('DELETE FROM agent_work WHERE work_id = $1', [workId])
}

/** Work nobody waits for any more (its pass ended with its control process). */
export async function forgetUnwantedWork(q: Queryable): Promise<void> {
  await q.query(`DELETE FROM agent_work WHERE wanted_until < now() - interval '1 minute'`)
}

/** Pieces of work leased now, per cluster (metrics). */
export async function workInFlight(q: Queryable): Promise<Map<number, number>> {
  const rows = await q.query<{ cluster_id: number; n: number }>(
    `SELECT cluster_id, count(*)::int AS n FROM agent_work
     WHERE state = 'leased' AND lease_until > now() GROUP BY cluster_id`,
  )
  return new Map(rows.map((r) => [r.cluster_id, r.n]))
}
