/** /api/resources: everything the admin page shows, in one call. */
import { Hono } from 'hono'
import { listBuckets } from '../db/buckets.js'
import { listClusters } from '../db/clusters.js'
import { listFaasDeployments } from '../db/faas-deployments.js'
import { listObjects } from '../db/objects.js'
import { listStorageDeployments } from '../db/storage-deployments.js'
import type { ApiDeps } from './deps.js'
import { loadBalancerView } from './load-balancer.js'

export function resourcesApi({ db, publisher }: ApiDeps): Hono {
  return new Hono().get('/', async (c) =>
    c.json({
      clusters: await listClusters(db),
      faas_deployments: await listFaasDeployments(db),
      storage_deployments: await listStorageDeployments(db),
      buckets: await listBuckets(db),
      objects: await listObjects(db),
      load_balancer: await loadBalancerView(db, publisher),
    }),
  )
}
