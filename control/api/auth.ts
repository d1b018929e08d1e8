/** Bearer-token guard for the admin API. Constant-time; a 401 never says which part was wrong. */
import { createHash, timingSafeEqual } from 'node:crypto'
import { createMiddleware } from 'hono/factory'
import { FadoError } from '../errors.js'

const digest = (value: string): Buffer => createHash('sha256').update(value).digest()

export function tokenMatches(expected: string, presented: string): boolean {
  // Comparing fixed-length digests keeps the time independent of where the strings differ
  // and of the presented token's length.
  return timingSafeEqual(digest(expected), digest(presented))
}

export function requireAdminToken(token: string) {
  return createMiddleware(async function requireAdminToken(c, next) {
    const header = c.req.header('authorization') ?? ''
    const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header)
    if (!match?.[1] || !tokenMatches(token, match[1])) {
      const error = new FadoError(
        401,
        'unauthorized',
        'a valid admin token is required (Authorization: Bearer <token>)',
      )
      return c.json(error.toJSON(), 401, { 'WWW-Authenticate': 'Bearer realm="fado"' })
    }
    await next()
  })
}
