/**
 * /api/clusters: places holding FaaS and storage deployments, with their zones. A cluster that
 * still holds storage deployments cannot be deleted (409): untrack them first.
 */
import { Hono } from 'hono'
import { z } from 'zod'
import {
  deleteCluster,
  getCluster,
  insertCluster,
  listClusters,
  updateCluster,
} from '../db/clusters.js'
import { listStorageDeployments } from '../db/storage-deployments.js'
import { conflict, notFound } from '../lib/errors.js'
import type { ApiDeps } from './deps.js'
import { checkUnchanged, name, parseBody, parseId, readOnly, zones } from './validate.js'
import { clusterView } from './answers.js'

export const createBody = z.strictObject({ name, zones: zones.default([]) })
export const updateBody = z.strictObject({
  cluster_id: readOnly,
  name: name.optional(),
  zones: zones.optional(),
})

export function clustersApi({ db, changes }: ApiDeps): Hono {
  return new Hono()
    .get('/', async (c) => c.json((await listClusters(db)).map(clusterView)))
    .get('/:id', async (c) => {
      const id = parseId(c.req.param('id'), 'cluster_id')
      const cluster = await getCluster(db, id)
      if (!cluster) throw notFound('cluster', id)
      return c.json(clusterView(cluster))
    })
    .post('/', async (c) => {
      const input = await parseBody(c, createBody)
      const cluster = await changes.commit((tx) => insertCluster(tx, input))
      return c.json(clusterView(cluster), 201)
    })
    .put('/:id', async (c) => {
      const id = parseId(c.req.param('id'), 'cluster_id')
      const input = await parseBody(c, updateBody)
      checkUnchanged(input, { cluster_id: id }, ['cluster_id'], 'ids are fixed')
      const cluster = await changes.commit(async (tx, changed) => {
        const updated = await updateCluster(tx, id, input)
        if (!updated) throw notFound('cluster', id)
        // Zones decide where replicas may go; the name is what routes report.
        changed({ replan: true, routes: true })
        return updated
      })
      return c.json(clusterView(cluster))
    })
    .delete('/:id', async (c) => {
      const id = parseId(c.req.param('id'), 'cluster_id')
      await changes.commit(async (tx, changed) => {
        // Its FaaS deployments go with it; storage must be untracked first, which also removes
        // FaDO's replica copies (the database alone would only forget them).
        const storage = (await listStorageDeployments(tx)).filter((s) => s.cluster_id === id)
        if (storage.length > 0)
          throw conflict(
            'cluster_id',
            `the cluster still holds storage deployment${storage.length === 1 ? '' : 's'} ${storage
              .map((s) => s.alias)
              .join(', ')}; untrack ${storage.length === 1 ? 'it' : 'them'} first`,
          )
        if (!(await deleteCluster(tx, id))) throw notFound('cluster', id)
        changed({ routes: true })
      })
      return c.body(null, 204)
    })
}
