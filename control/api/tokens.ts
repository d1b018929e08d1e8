/**
 * /api/tokens: scoped API tokens. POST creates one and answers its secret — the only time it is
 * ever shown; GET lists them without secrets; DELETE revokes (401 from then on, everywhere).
 */
import { Hono } from 'hono'
import { z } from 'zod'
import { deleteToken, insertToken, listTokens, SCOPES } from '../db/api-tokens.js'
import { invalidField, notFound } from '../lib/errors.js'
import { getCluster } from '../db/clusters.js'
import { hashToken, newTokenSecret } from '../auth/tokens.js'
import type { ApiDeps } from './deps.js'
import { id, name, parseBody, parseId } from './validate.js'
import { tokenView } from './answers.js'

export const createBody = z
  .strictObject({
    name,
    scope: z.enum(SCOPES, { error: `must be one of ${SCOPES.join(', ')}` }),
    storage_alias: name
      .optional()
      .describe(
        'notify tokens (required): the alias of the storage deployment whose events it delivers; it may be tracked later',
      ),
    cluster_id: id
      .optional()
      .describe('agent tokens (required): the cluster whose copy work the agent takes'),
  })
  .superRefine((v, ctx) => {
    if (v.scope === 'notify' && v.storage_alias === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['storage_alias'],
        message:
          'a notify token is tied to one storage deployment: name its alias (it may be tracked later)',
      })
    if (v.scope !== 'notify' && v.storage_alias !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['storage_alias'],
        message: 'only a notify token is tied to a storage deployment',
      })
    if (v.scope === 'agent' && v.cluster_id === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['cluster_id'],
        message: 'an agent token is tied to one cluster: name its cluster_id',
      })
    if (v.scope !== 'agent' && v.cluster_id !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['cluster_id'],
        message: 'only an agent token is tied to a cluster',
      })
  })

export function tokensApi({ db, changes }: ApiDeps): Hono {
  return new Hono()
    .get('/', async (c) => c.json((await listTokens(db)).map(tokenView)))
    .post('/', async (c) => {
      const input = await parseBody(c, createBody)
      const token = newTokenSecret(input.scope)
      if (input.cluster_id !== undefined && !(await getCluster(db, input.cluster_id)))
        throw invalidField('cluster_id', `no cluster with id ${input.cluster_id}`)
      const row = await changes.commit((tx) =>
        insertToken(tx, {
          cluster_id: input.cluster_id ?? null,
          name: input.name,
          scope: input.scope,
          storage_alias: input.storage_alias ?? null,
          token_hash: hashToken(token),
        }),
      )
      return c.json({ ...tokenView(row), token }, 201)
    })
    .delete('/:id', async (c) => {
      const tokenId = parseId(c.req.param('id'), 'token_id')
      await changes.commit(async (tx, changed) => {
        if (!(await deleteToken(tx, tokenId))) throw notFound('token', tokenId)
        changed({ tokens: true })
      })
      return c.body(null, 204)
    })
}
