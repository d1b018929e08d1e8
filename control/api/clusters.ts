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
import { conflict, notFound } from '../errors.js'
import type { ApiDeps } from './deps.js'
import { name, parseBody, parseId, zones } from './validate.js'

const createBody = z.strictObject({ name, zones: zones.default([]) })
const updateBody = z.strictObject({ name: name.optional(), zones: zones.optional() })

export function clustersApi({ db, publisher }: ApiDeps): Hono {
  return new Hono()
    .get('/', async (c) => c.json(await listClusters(db)))
    .get('/:id', async (c) => {
      const id = parseId(c.req.param('id'), 'cluster_id')
      const cluster = await getCluster(db, id)
      if (!cluster) throw notFound('cluster', id)
      return c.json(cluster)
    })
    .post('/', async (c) => {
      const input = await parseBody(c, createBody)
      const cluster = await db.transaction((tx) => insertCluster(tx, input))
      return c.json(cluster, 201)
    })
    .put('/:id', async (c) => {
      const id = parseId(c.req.param('id'), 'cluster_id')
      const input = await parseBody(c, updateBody)
      const cluster = await db.transaction((tx) => updateCluster(tx, id, input))
      if (!cluster) throw notFound('cluster', id)
      publisher.request()
      return c.json(cluster)
    })
    .delete('/:id', async (c) => {
      const id = parseId(c.req.param('id'), 'cluster_id')
      await db.transaction(async (tx) => {
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
      })
      publisher.request()
      return c.body(null, 204)
    })
}
