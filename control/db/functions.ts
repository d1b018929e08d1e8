/**
 * Functions (issue 15): a name, the zones a cluster must have to run it, and its triggers — per
 * FaaS deployment, a path under the deployment's URL or an absolute URL of its own.
 */
import type { Queryable } from './client.js'

export interface TriggerRow {
  faas_id: number
  target: string
}

export interface FunctionRow {
  function_id: number
  name: string
  zones: string[]
  /** Ordered by FaaS id. */
  triggers: TriggerRow[]
}

const SELECT = `SELECT f.function_id, f.name, f.zones,
    COALESCE((SELECT json_agg(json_build_object('faas_id', t.faas_id, 'target', t.target)
                ORDER BY t.faas_id)
              FROM function_triggers t WHERE t.function_id = f.function_id), '[]') AS triggers
  FROM functions f`

export async function listFunctions(q: Queryable): Promise<FunctionRow[]> {
  return q.query<FunctionRow>(`${SELECT} ORDER BY f.function_id`)
}

export async function getFunction(q: Queryable, id: number): Promise<FunctionRow | undefined> {
  return (await q.query<FunctionRow>(`${SELECT} WHERE f.function_id = $1`, [id]))[0]
}

async function setTriggers(q: Queryable, id: number, triggers: readonly TriggerRow[]) {
  await q.query('DELETE FROM function_triggers WHERE function_id = $1', [id])
  if (triggers.length === 0) return
  await q.query(
    `INSERT INTO function_triggers (function_id, faas_id, target)
     SELECT $1, * FROM unnest($2::int[], $3::text[])`,
    [id, triggers.map((t) => t.faas_id), triggers.map((t) => t.target)],
  )
}

export async function insertFunction(
  q: Queryable,
  input: { name: string; zones: string[]; triggers: TriggerRow[] },
): Promise<FunctionRow> {
  const [row] = await q.query<{ function_id: number }>(
    'INSERT INTO functions (name, zones) VALUES ($1, $2::jsonb) RETURNING function_id',
    [input.name, JSON.stringify(input.zones)],
  )
  if (!row) throw new Error('INSERT … RETURNING returned no row')
  await setTriggers(q, row.function_id, input.triggers)
  return (await getFunction(q, row.function_id)) as FunctionRow
}

/** Applies the given fields (triggers replace the list); undefined when there is no such function. */
export async function updateFunction(
  q: Queryable,
  id: number,
  input: {
    name?: string | undefined
    zones?: string[] | undefined
    triggers?: TriggerRow[] | undefined
  },
): Promise<FunctionRow | undefined> {
  const rows = await q.query(
    `UPDATE functions SET name = COALESCE($2, name), zones = COALESCE($3::jsonb, zones)
     WHERE function_id = $1 RETURNING function_id`,
    [id, input.name ?? null, input.zones ? JSON.stringify(input.zones) : null],
  )
  if (rows.length === 0) return undefined
  if (input.triggers) await setTriggers(q, id, input.triggers)
  return getFunction(q, id)
}

export async function deleteFunction(q: Queryable, id: number): Promise<boolean> {
  const rows = await q.query('DELETE FROM functions WHERE function_id = $1 RETURNING function_id', [
    id,
  ])
  return rows.length > 0
}
