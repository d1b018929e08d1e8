/**
 * /api/functions: functions FaDO schedules by name (issue 15) — the zones a cluster must have to
 * run one, and per FaaS deployment a trigger (a path under its URL, or an absolute URL). A trigger
 * on a FaaS deployment that does not exist is a 400 naming it; a duplicate name is a 409.
 */
import { Hono } from 'hono'
import { z } from 'zod'
import type { Queryable } from '../db/client.js'
import { listFaasDeployments } from '../db/faas-deployments.js'
import {
  deleteFunction,
  getFunction,
  insertFunction,
  listFunctions,
  updateFunction,
  type TriggerRow,
} from '../db/functions.js'
import { invalidField, notFound } from '../lib/errors.js'
import type { ApiDeps } from './deps.js'
import {
  checkUnchanged,
  id,
  name,
  parseBody,
  parseId,
  readOnly,
  triggerTarget,
  zones,
} from './validate.js'
import { functionView } from './answers.js'

const triggers = z
  .array(z.strictObject({ faas_id: id, target: triggerTarget }), {
    error: 'must be an array of {faas_id, target}',
  })
  .max(1000, { error: 'at most 1000 triggers' })
  .superRefine((list, ctx) => {
    const seen = new Set<number>()
    for (const [i, t] of list.entries()) {
      if (seen.has(t.faas_id))
        ctx.addIssue({
          code: 'custom',
          path: [i, 'faas_id'],
          message: `FaaS deployment ${t.faas_id} has a trigger already; one per deployment`,
        })
      seen.add(t.faas_id)
    }
  })

export const createBody = z.strictObject({
  name,
  zones: zones.default([]),
  triggers: triggers.default([]),
})
export const updateBody = z.strictObject({
  function_id: readOnly,
  name: name.optional(),
  zones: zones.optional(),
  triggers: triggers.optional(),
})

/** Every trigger's FaaS deployment must exist; checked in the transaction that writes them. */
async function checkTriggers(q: Queryable, list: readonly TriggerRow[] | undefined) {
  if (!list?.length) return
  const known = new Set((await listFaasDeployments(q)).map((f) => f.faas_id))
  for (const [i, t] of list.entries())
    if (!known.has(t.faas_id))
      throw invalidField(`triggers[${i}].faas_id`, `no FaaS deployment with id ${t.faas_id}`)
}

export function functionsApi({ db, changes }: ApiDeps): Hono {
  return new Hono()
    .get('/', async (c) => c.json((await listFunctions(db)).map(functionView)))
    .get('/:id', async (c) => {
      const functionId = parseId(c.req.param('id'), 'function_id')
      const fn = await getFunction(db, functionId)
      if (!fn) throw notFound('function', functionId)
      return c.json(functionView(fn))
    })
    .post('/', async (c) => {
      const input = await parseBody(c, createBody)
      const fn = await changes.commit(async (tx, changed) => {
        await checkTriggers(tx, input.triggers)
        changed({ routes: true })
        return insertFunction(tx, input)
      })
      return c.json(functionView(fn), 201)
    })
    .put('/:id', async (c) => {
      const functionId = parseId(c.req.param('id'), 'function_id')
      const input = await parseBody(c, updateBody)
      checkUnchanged(input, { function_id: functionId }, ['function_id'], 'ids are fixed')
      const fn = await changes.commit(async (tx, changed) => {
        if (!(await getFunction(tx, functionId))) throw notFound('function', functionId)
        await checkTriggers(tx, input.triggers)
        changed({ routes: true })
        return updateFunction(tx, functionId, input)
      })
      if (!fn) throw notFound('function', functionId)
      return c.json(functionView(fn))
    })
    .delete('/:id', async (c) => {
      const functionId = parseId(c.req.param('id'), 'function_id')
      await changes.commit(async (tx, changed) => {
        if (!(await deleteFunction(tx, functionId))) throw notFound('function', functionId)
        changed({ routes: true })
      })
      return c.body(null, 204)
    })
}
