/**
 * Who may call what. Every /api request (and /metrics) needs `Authorization: Bearer <token>`:
 * a missing, malformed, unknown or revoked token is 401 (the same answer whatever was wrong);
 * a valid token outside its scope is 403. Scopes: `admin` may do everything; `edge` may only
 * read route snapshots and report its invocation figures; `notify` may only deliver storage
 * notifications; `metrics` may only read /metrics; `agent` may only take, renew and report the
 * copy work of its own cluster.
 */
import { createMiddleware } from 'hono/factory'
import type { Scope } from '../db/api-tokens.js'
import { FadoError } from '../lib/errors.js'
import type { Principal, TokenVerifier } from '../auth/tokens.js'

/** What each narrow scope may reach; `admin` reaches everything. */
const SCOPE_ROUTES: Record<
  Exclude<Scope, 'admin'>,
  { methods: string[]; path: string; prefix?: true }[]
> = {
  edge: [
    { methods: ['GET', 'HEAD'], path: '/api/snapshot' },
    { methods: ['POST'], path: '/api/edge-stats' },
  ],
  notify: [{ methods: ['POST', 'PUT'], path: '/api/notify' }],
  metrics: [{ methods: ['GET', 'HEAD'], path: '/metrics' }],
  agent: [
    { methods: ['POST'], path: '/api/agent/claim' },
    { methods: ['POST'], path: '/api/agent/work/', prefix: true },
  ],
}

export function allowed(scope: Scope, method: string, path: string): boolean {
  if (scope === 'admin') return true
  return SCOPE_ROUTES[scope].some(
    (r) => r.methods.includes(method) && (r.prefix ? path.startsWith(r.path) : path === r.path),
  )
}

const unauthorized = () =>
  new FadoError(401, 'unauthorized', 'a valid token is required (Authorization: Bearer <token>)')

export type AuthVariables = { principal: Principal }

export function requireToken(verifier: TokenVerifier) {
  return createMiddleware<{ Variables: AuthVariables }>(async function requireToken(c, next) {
    const header = c.req.header('authorization') ?? ''
    const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header)
    const principal = match?.[1] ? await verifier.verify(match[1]) : undefined
    if (!principal) {
      return c.json(unauthorized().toJSON(), 401, { 'WWW-Authenticate': 'Bearer realm="fado"' })
    }
    if (!allowed(principal.scope, c.req.method, c.req.path)) {
      const routes = principal.scope === 'admin' ? [] : SCOPE_ROUTES[principal.scope]
      const error = new FadoError(
        403,
        'forbidden',
        `this token's scope '${principal.scope}' allows only ${routes.map((r) => `${r.methods.join('/')} ${r.path}${r.prefix ? '…' : ''}`).join(' and ')}`,
      )
      return c.json(error.toJSON(), 403)
    }
    c.set('principal', principal)
    await next()
  })
}
