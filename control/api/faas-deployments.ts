/** /api/faas-deployments: function endpoints (http or https, optional path prefix) per cluster. */
import { Hono } from 'hono'
import { z } from 'zod'
import type { Queryable } from '../db/client.js'
import { getCluster } from '../db/clusters.js'
import {
  deleteFaasDeployment,
  getFaasDeployment,
  insertFaasDeployment,
  listFaasDeployments,
  updateFaasDeployment,
} from '../db/faas-deployments.js'
import { invalidField, notFound } from '../lib/errors.js'
import type { ApiDeps } from './deps.js'
import { checkUnchanged, httpUrl, id, parseBody, parseId, readOnly } from './validate.js'
import { faasView } from './answers.js'

export const createBody = z.strictObject({ cluster_id: id, url: httpUrl })
export const updateBody = z.strictObject({
  faas_id: readOnly,
  cluster_id: id.optional(),
  url: httpUrl.optional(),
})

async function assertCluster(q: Queryable, clusterId: number | undefined): Promise<void> {
  if (clusterId !== undefined && !(await getCluster(q, clusterId))) {
    throw invalidField('cluster_id', `no cluster with id ${clusterId}`)
  }
}

export function faasDeploymentsApi({ db, changes }: ApiDeps): Hono {
  return new Hono()
    .get('/', async (c) => c.json((await listFaasDeployments(db)).map(faasView)))
    .get('/:id', async (c) => {
      const faasId = parseId(c.req.param('id'), 'faas_id')
      const faas = await getFaasDeployment(db, faasId)
      if (!faas) throw notFound('FaaS deployment', faasId)
      return c.json(faasView(faas))
    })
    .post('/', async (c) => {
      const input = await parseBody(c, createBody)
      const faas = await changes.commit(async (tx, changed) => {
        await assertCluster(tx, input.cluster_id)
        changed({ routes: true })
        return insertFaasDeployment(tx, input)
      })
      return c.json(faasView(faas), 201)
    })
    .put('/:id', async (c) => {
      const faasId = parseId(c.req.param('id'), 'faas_id')
      const input = await parseBody(c, updateBody)
      checkUnchanged(input, { faas_id: faasId }, ['faas_id'], 'ids are fixed')
      const faas = await changes.commit(async (tx, changed) => {
        if (!(await getFaasDeployment(tx, faasId))) throw notFound('FaaS deployment', faasId)
        await assertCluster(tx, input.cluster_id)
        changed({ routes: true })
        return (await updateFaasDeployment(tx, faasId, input)) as NonNullable<
          Awaited<ReturnType<typeof updateFaasDeployment>>
        >
      })
      return c.json(faasView(faas))
    })
    .delete('/:id', async (c) => {
      const faasId = parseId(c.req.param('id'), 'faas_id')
      await changes.commit(async (tx, changed) => {
        if (!(await deleteFaasDeployment(tx, faasId))) throw notFound('FaaS deployment', faasId)
        changed({ routes: true })
      })
      return c.body(null, 204)
    })
}
