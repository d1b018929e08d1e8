/**
 * The control HTTP app: /healthz (open), the admin API under /api (bearer token), and the admin
 * page (static, open: it holds no data until signed in) at every other path.
 * Every error leaves as {"error":{"code","message"}}; never a stack trace.
 */
import { Hono } from 'hono'
import { FadoError } from '../errors.js'
import { requireAdminToken } from './auth.js'
import { clustersApi } from './clusters.js'
import type { ApiDeps } from './deps.js'
import { faasDeploymentsApi } from './faas-deployments.js'
import { bucketsApi } from './buckets.js'
import { loadBalancerApi } from './load-balancer.js'
import { notifyApi } from './notify.js'
import { objectsApi } from './objects.js'
import { storageDeploymentsApi } from './storage-deployments.js'
import { resourcesApi } from './resources.js'
import { snapshotApi } from './snapshot.js'
import { serveUi } from './ui.js'
import { fromDatabaseError } from './validate.js'

export function createControlApp(deps: ApiDeps): Hono {
  const app = new Hono()

  app.get('/healthz', async (c) => {
    try {
      await deps.db.query('SELECT 1')
      return c.json({ status: 'ok', snapshot_version: deps.publisher.current?.version ?? 0 })
    } catch {
      return c.json({ status: 'unavailable', reason: 'database not answering' }, 503)
    }
  })

  app.use('/api/*', requireAdminToken(deps.adminToken))
  app.route('/api/resources', resourcesApi(deps))
  app.route('/api/clusters', clustersApi(deps))
  app.route('/api/faas-deployments', faasDeploymentsApi(deps))
  app.route('/api/storage-deployments', storageDeploymentsApi(deps))
  app.route('/api/buckets', bucketsApi(deps))
  app.route('/api/objects', objectsApi(deps))
  app.route('/api/notify', notifyApi(deps))
  app.route('/api/load-balancer', loadBalancerApi(deps))
  app.route('/api/snapshot', snapshotApi(deps))
  app.all('/api/*', (c) =>
    c.json(
      { error: { code: 'not_found', message: `no API route ${c.req.method} ${c.req.path}` } },
      404,
    ),
  )
  serveUi(app, deps.ui)

  app.onError((err, c) => {
    const known = err instanceof FadoError ? err : fromDatabaseError(err)
    if (known) {
      if (known.status >= 500) deps.log.warn('request failed', { path: c.req.path, error: known })
      return c.json(known.toJSON(), known.status as 400)
    }
    deps.log.error('unexpected error', { method: c.req.method, path: c.req.path, error: err })
    return c.json({ error: { code: 'internal', message: 'internal error' } }, 500)
  })
  return app
}
