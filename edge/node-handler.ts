/**
 * The Node edge's request handler: node:http in, undici out, Node streams end to end (no Fetch
 * API objects on the hot path, which cost most of the time per request). Same decisions as the
 * Hono app (edge/routing.ts); `pipeline` tears both sides down when either one goes away, so a
 * client hanging up mid-response never takes the process down.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { Writable } from 'node:stream'
import { errors, type Dispatcher } from 'undici'
import { forwardableNodeHeaders } from './headers.js'
import {
  decideRoute,
  edgeErrorBody,
  hasAlternative,
  mayRetry,
  nextUpstream,
  noHealthyUpstream,
  NOT_SENT_CODES,
  upstreamFailed,
  type EdgeError,
} from './routing.js'
import type { SnapshotStore } from './snapshot-store.js'
import type { Upstream } from './snapshot.js'
import type { UpstreamState } from './upstream-state.js'

export interface NodeHandlerDeps {
  store: SnapshotStore
  upstreams: UpstreamState
  dispatcher: Dispatcher
  /** Requests under /_fado/ (status) go here. */
  fallback: (req: IncomingMessage, res: ServerResponse) => void
  hashHeader?: string
  retries?: number
  random?: () => number
}

function send(res: ServerResponse, e: EdgeError): void {
  if (res.headersSent) {
    res.destroy()
    return
  }
  const body = edgeErrorBody(e)
  res.writeHead(e.status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
  })
  res.end(body)
}

/** Parsed once per upstream URL, not per request. */
const targets = new Map<string, { origin: string; path: string }>()
function targetOf(upstream: Upstream): { origin: string; path: string } {
  let target = targets.get(upstream.url)
  if (!target) {
    const base = new URL(upstream.url)
    target = { origin: base.origin, path: base.pathname.replace(/\/$/, '') }
    if (targets.size > 10_000) targets.clear()
    targets.set(upstream.url, target)
  }
  return target
}

/** A sink for the body of a 5xx answer that is retried elsewhere. */
const discard = (): Writable =>
  new Writable({
    write(_chunk, _encoding, callback) {
      callback()
    },
  })

const notSent = (err: unknown): boolean => {
  const code = (err as { code?: string }).code ?? ''
  return NOT_SENT_CODES.has(code) || err instanceof errors.ConnectTimeoutError
}

export function createNodeHandler(
  deps: NodeHandlerDeps,
): (req: IncomingMessage, res: ServerResponse) => void {
  const retries = deps.retries ?? 2
  const random = deps.random ?? Math.random
  const hashHeader = deps.hashHeader?.toLowerCase()

  return function handle(req, res) {
    const url = req.url ?? '/'
    if (url.startsWith('/_fado/')) return deps.fallback(req, res)
    const decision = decideRoute(deps.store, (name) => {
      const v = req.headers[name.toLowerCase()]
      return Array.isArray(v) ? v[0] : v
    })
    if (!decision.ok) {
      req.resume()
      return send(res, decision.error)
    }
    const { bucket, route, policy } = decision
    const hashValue = hashHeader ? req.headers[hashHeader] : undefined
    const ctx = deps.upstreams.pickContext(
      random,
      (typeof hashValue === 'string' && hashValue) || req.socket.remoteAddress || '',
    )
    const method = req.method ?? 'GET'
    const hasBody =
      req.headers['content-length'] !== undefined
        ? req.headers['content-length'] !== '0'
        : req.headers['transfer-encoding'] !== undefined
    const headers = forwardableNodeHeaders(req.headers)
    headers['x-forwarded-host'] = req.headers.host ?? ''
    headers['x-forwarded-proto'] = 'http'
    const tried = new Set<number>()

    const attempt = (n: number, lastError: string): void => {
      const upstream: Upstream | undefined =
        n <= retries ? nextUpstream(route, policy, tried, deps.upstreams, ctx) : undefined
      if (!upstream) {
        req.resume()
        return send(res, tried.size === 0 ? noHealthyUpstream(bucket) : upstreamFailed(lastError))
      }
      tried.add(upstream.id)
      const target = targetOf(upstream)
      const started = performance.now()
      deps.upstreams.begin(upstream.id)
      let ended = false
      const end = (ok: boolean) => {
        if (ended) return
        ended = true
        deps.upstreams.end(upstream.id, ok, performance.now() - started)
      }
      let retryAfter5xx = false
      let status = 0
      // stream(): undici writes the upstream body straight into the client response, no
      // intermediate Readable; it destroys both sides if either fails or goes away.
      deps.dispatcher
        .stream(
          {
            origin: target.origin,
            path: target.path + url,
            method: method as Dispatcher.HttpMethod,
            headers,
            body: hasBody ? req : null,
            opaque: res,
          },
          ({ statusCode, headers: upHeaders }) => {
            status = statusCode
            if (
              statusCode >= 500 &&
              n < retries &&
              mayRetry({ notSent: false, bodyConsumed: true, method, hasBody }) &&
              hasAlternative(route, tried, deps.upstreams)
            ) {
              retryAfter5xx = true
              return discard()
            }
            const out = forwardableNodeHeaders(
              upHeaders as Record<string, string | string[] | undefined>,
            )
            out['x-fado-cluster'] = upstream.cluster
            res.writeHead(statusCode, out)
            return res
          },
        )
        .then(
          () => {
            // In flight until the body is through: least_conn and fastest see real load.
            end(status < 500)
            if (retryAfter5xx) attempt(n + 1, `${upstream.cluster}: status ${status}`)
          },
          (err: unknown) => {
            if (res.destroyed && !res.writableFinished) {
              // The client went away: no verdict on the upstream, nothing to answer.
              if (!ended) {
                ended = true
                deps.upstreams.release(upstream.id)
              }
              return
            }
            end(false)
            if (res.headersSent) {
              res.destroy()
              return
            }
            const detail = `${upstream.cluster}: ${(err as Error).message}`
            if (
              !res.destroyed &&
              mayRetry({
                notSent: notSent(err),
                bodyConsumed: req.readableDidRead,
                method,
                hasBody,
              })
            ) {
              return attempt(n + 1, detail)
            }
            req.resume()
            send(res, upstreamFailed(detail))
          },
        )
    }
    attempt(0, 'no upstream')
  }
}
