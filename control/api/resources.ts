/**
 * /api/resources: everything the admin page shows, in one call. The page polls it; an ETag lets an
 * unchanged answer come back as a bodiless 304.
 */
import { createHash } from 'node:crypto'
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
import { bucketWithDemand } from './buckets.js'
import { clusterView, faasView, functionView, storageView, type ResourcesView } from './answers.js'

/**
 * The ETag's hash, taken in this thread: the default (WebCrypto) hands every answer to another
 * thread and back, a wait that grew with everything else the host was doing.
 */
const sha1 = (body: Uint8Array): ArrayBuffer =>
  Uint8Array.from(createHash('sha1').update(body).digest()).buffer

export function resourcesApi(deps: ApiDeps): Hono {
  const db = deps.reads ?? deps.db
  return new Hono().use(etag({ generateDigest: sha1 })).get('/', async (c) => {
    // Asked for at once: the embedded database runs them back to back, not each behind whatever a
    // pass queued in between (a pass over a large bucket keeps it busy); a server runs them side by side.
    const [clusters, faas, functions, storages, buckets, loadBalancer, hooks] = await Promise.all([
      listClusters(db),
      listFaasDeployments(db),
      listFunctions(db),
      listStorageDeployments(db),
      listBuckets(db),
      loadBalancerView(db, deps),
      listHooks(db),
    ])
    const view: ResourcesView = {
      clusters: clusters.map(clusterView),
      faas_deployments: faas.map(faasView),
      functions: functions.map(functionView),
      storage_deployments: storages.map(storageView),
      buckets: buckets.map(bucketWithDemand(deps)),
      load_balancer: loadBalancer,
      hooks: hooks.map((h) => hookView(h, deps.publisher.current?.version ?? 0)),
    }
    return c.json(view)
  })
}
