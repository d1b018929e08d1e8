/**
 * /api/resources: everything the admin page shows, in one call. The page polls it; an ETag lets an
 * unchanged answer come back as a bodiless 304.
 */
import { Hono } from 'hono'
import { etag } from 'hono/etag'
import { listBuckets } from '../db/buckets.js'
import { listClusters } from '../db/clusters.js'
import { listFaasDeployments } from '../db/faas-deployments.js'
import { listFunctions } from '../db/functions.js'
import { listHooks } from '../db/hooks.js'
import { hookView } from './hooks.js'
import { listStorageDeployments } from '../db/storage-deployments.js'
import type { ApiDeps } from './deps.js'
import { loadBalancerView } from './load-balancer.js'
import {
  bucketView,
  clusterView,
  faasView,
  functionView,
  storageView,
  type ResourcesView,
} from './answers.js'

export function resourcesApi(deps: ApiDeps): Hono {
  const { db } = deps
  return new Hono().use(etag()).get('/', async (c) => {
    const view: ResourcesView = {
      clusters: (await listClusters(db)).map(clusterView),
      faas_deployments: (await listFaasDeployments(db)).map(faasView),
      functions: (await listFunctions(db)).map(functionView),
      storage_deployments: (await listStorageDeployments(db)).map(storageView),
      buckets: (await listBuckets(db)).map(bucketView),
      load_balancer: await loadBalancerView(db, deps),
      hooks: (await listHooks(db)).map((h) => hookView(h, deps.publisher.current?.version ?? 0)),
    }
    return c.json(view)
  })
}
