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
import { invalidField, notFound } from '../errors.js'
import type { ApiDeps } from './deps.js'
import { httpUrl, id, parseBody, parseId } from './validate.js'

const createBody = z.strictObject({ cluster_id: id, url: httpUrl })
const updateBody = z.strictObject({ cluster_id: id.optional(), url: httpUrl.optional() })

async function assertCluster(q: Queryable, clusterId: number | undefined): Promise<void> {
  if (clusterId !== undefined && !(await getCluster(q, clusterId))) {
    throw invalidField('cluster_id', `no cluster with id ${clusterId}`)
  }
}

export function faasDeploymentsApi({ db, publisher }: ApiDeps): Hono {
  return new Hono()
    .get('/', async (c) => c.json(await listFaasDeployments(db)))
    .get('/:id', async (c) => {
      const faasId = parseId(c.req.param('id'), 'faas_id')
      const faas = await getFaasDeployment(db, faasId)
      if (!faas) throw notFound('FaaS deployment', faasId)
      return c.json(faas)
    })
    .post('/', async (c) => {
      const input = await parseBody(c, createBody)
      const faas = await db.transaction(async (tx) => {
        await assertCluster(tx, input.cluster_id)
        return insertFaasDeployment(tx, input)
      })
      publisher.request()
      return c.json(faas, 201)
    })
    .put('/:id', async (c) => {
      const faasId = parseId(c.req.param('id'), 'faas_id')
      const input = await parseBody(c, updateBody)
      const faas = await db.transaction(async (tx) => {
        if (!(await getFaasDeployment(tx, faasId))) throw notFound('FaaS deployment', faasId)
        await assertCluster(tx, input.cluster_id)
        return updateFaasDeployment(tx, faasId, input)
      })
      publisher.request()
      return c.json(faas)
    })
    .delete('/:id', async (c) => {
      const faasId = parseId(c.req.param('id'), 'faas_id')
      if (!(await db.transaction((tx) => deleteFaasDeployment(tx, faasId)))) {
        throw notFound('FaaS deployment', faasId)
      }
      publisher.request()
      return c.body(null, 204)
    })
}
