/**
 * The control HTTP app: /healthz (open), the admin API under /api (bearer token), and the admin
 * page (static, open: it holds no data until signed in) for every other GET.
 * Every other answer is JSON, errors as {"error":{"code","message"}} — never a stack trace:
 * 400 bad input (naming the field), 401, 404 (any unknown path, any method), 409, 413 too large,
 * 502/504 a storage deployment failed or timed out, 503 the database is unavailable.
 */
import type { IncomingMessage } from 'node:http'
import { Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { DatabaseUnavailableError } from '../db/client.js'
import { ClientGoneError, databaseUnavailable, FadoError, tooLarge } from '../lib/errors.js'
import { PROMETHEUS_CONTENT_TYPE } from '../observe/metrics.js'
import { requireToken } from './auth.js'
import { agentsApi, agentWorkApi } from './agents.js'
import { bucketsApi } from './buckets.js'
import { clustersApi } from './clusters.js'
import type { ApiDeps } from './deps.js'
import { faasDeploymentsApi } from './faas-deployments.js'
import { functionsApi } from './functions.js'
import { hooksApi } from './hooks.js'
import { strictUrl } from './input.js'
import { loadBalancerApi } from './load-balancer.js'
import { notifyApi } from './notify.js'
import { objectsApi } from './objects.js'
import { openApiDocument } from './openapi.js'
import { resourcesApi } from './resources.js'
import { snapshotApi } from './snapshot.js'
import { storageDeploymentsApi } from './storage-deployments.js'
import { tokensApi } from './tokens.js'
import { trafficApi } from './traffic.js'
import { serveUi } from './ui.js'
import { fromDatabaseError } from './validate.js'

/** The admin API's version, as its OpenAPI document gives it. */
export const API_VERSION = '1.0.0'

/** JSON request bodies: nothing the API takes comes near this. */
export const MAX_JSON_BYTES = 1024 * 1024

const notFoundBody = (method: string, path: string) => ({
  error: { code: 'not_found', message: `no route ${method} ${path}` },
})

export function createControlApp(deps: ApiDeps): Hono {
  const app = new Hono()
  const jsonLimit = bodyLimit({
    maxSize: MAX_JSON_BYTES,
    onError: (c) => c.json(tooLarge('body', MAX_JSON_BYTES).toJSON(), 413),
  })

  // An answer sent before the request body was read through (a 413, a refusal before reading):
  // the connection closes after it, so a client does not send its next request on a connection
  // still carrying the rest of this body.
  app.use('*', async (c, next) => {
    await next()
    const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming
    if (incoming && !incoming.complete) c.header('Connection', 'close')
  })

  if (deps.metrics) {
    const metrics = deps.metrics
    app.use('*', async (c, next) => {
      await next()
      metrics.apiRequest(c.req.method, c.req.routePath, c.res.status)
    })
    app.get('/metrics', requireToken(deps.tokens), async (c) =>
      c.body(await metrics.text(), 200, { 'content-type': PROMETHEUS_CONTENT_TYPE }),
    )
  }

  app.get('/healthz', async (c) => {
    try {
      await deps.db.query('SELECT 1')
      return c.json({ status: 'ok', snapshot_version: deps.publisher.current?.version ?? 0 })
    } catch {
      return c.json({ status: 'unavailable', ...databaseUnavailable().toJSON() }, 503)
    }
  })

  // The API's description holds no data: it is served without a token.
  let openApi: Record<string, unknown> | undefined
  app.get('/api/openapi.json', (c) => c.json((openApi ??= openApiDocument(API_VERSION))))

  app.use('/api/*', requireToken(deps.tokens))
  app.use('/api/*', strictUrl)
  app.use('/api/*', async (c, next) => {
    // Object bodies are bounded by --max-object-size in the objects API instead.
    const upload =
      c.req.path === '/api/objects' && (c.req.method === 'POST' || c.req.method === 'PUT')
    return upload ? next() : jsonLimit(c, next)
  })
  app.route('/api/resources', resourcesApi(deps))
  app.route('/api/clusters', clustersApi(deps))
  app.route('/api/faas-deployments', faasDeploymentsApi(deps))
  app.route('/api/functions', functionsApi(deps))
  app.route('/api/storage-deployments', storageDeploymentsApi(deps))
  app.route('/api/buckets', bucketsApi(deps))
  app.route('/api/objects', objectsApi(deps))
  app.route('/api/notify', notifyApi(deps))
  app.route('/api/load-balancer', loadBalancerApi(deps))
  app.route('/api/snapshot', snapshotApi(deps))
  app.route('/api/tokens', tokensApi(deps))
  app.route('/api/hooks', hooksApi(deps))
  app.route('/api/agent', agentWorkApi(deps))
  app.route('/api/agents', agentsApi(deps))
  app.route('/api', trafficApi(deps))
  app.all('/api/*', (c) => c.json(notFoundBody(c.req.method, c.req.path), 404))
  serveUi(app, deps.ui)
  app.notFound((c) => c.json(notFoundBody(c.req.method, c.req.path), 404))

  app.onError((err, c) => {
    if (err instanceof ClientGoneError) {
      // Nobody is there to read an answer; not a failure of FaDO or of what it depends on.
      return c.json(err.toJSON(), 499 as 400)
    }
    // The database's own words stay in the log; a client is told to try again.
    const known =
      err instanceof DatabaseUnavailableError
        ? databaseUnavailable(err)
        : err instanceof FadoError
          ? err
          : fromDatabaseError(err)
    if (known) {
      if (known.status >= 500)
        deps.log.warn('request failed', {
          method: c.req.method,
          path: c.req.path,
          code: known.code,
          error: known.cause ?? known,
        })
      return c.json(known.toJSON(), known.status as 400)
    }
    deps.log.error('unexpected error', { method: c.req.method, path: c.req.path, error: err })
    return c.json({ error: { code: 'internal', message: 'internal error' } }, 500)
  })
  return app
}
