/**
 * The Node edge's request handler: node:http in, undici out, Node streams end to end (no Fetch
 * API objects on the hot path, which cost most of the time per request). The decisions are the
 * shared core's (routing.ts, request-target.ts, forward.ts); this file is only the transport:
 * undici stream() writes the upstream's answer straight into the client response, and `pipeline`
 * semantics tear both sides down when either goes away.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { Writable } from 'node:stream'
import { errors, type Dispatcher } from 'undici'
import type { Attempt, Transport } from './forward.js'
import { bucketLabel, type InvocationMetrics } from './edge-metrics.js'
import { answerHeaders, FORWARDING_HEADERS, invocationPipeline } from './invocation.js'
import { forwardableNodeHeaders } from './headers.js'
import { isLocal } from './locality.js'
import type { Logger } from './log.js'
import { ReplayableBody } from './replayable-body.js'
import { REQUEST_ID_HEADER } from './request-id.js'
import { forwardedRest } from './request-target.js'
import type { RetryBudget } from './retry-budget.js'
import { edgeErrorBody, type EdgeError } from './edge-error.js'
import type { SnapshotStore } from './snapshot-store.js'
import type { Upstream } from './snapshot.js'
import type { UpstreamState } from './upstream-state.js'

export interface NodeHandlerDeps {
  store: SnapshotStore
  upstreams: UpstreamState
  budget: RetryBudget
  dispatcher: Dispatcher
  log: Logger
  /** Requests under /_fado/ (status) go here. */
  fallback: (req: IncomingMessage, res: ServerResponse) => void
  hashHeader?: string
  random?: () => number
  /** Is this peer a proxy whose X-Forwarded-For / Forwarded are believed? */
  trustedProxy?: (address: string) => boolean
  /** The scheme clients reach this edge with. */
  proto?: 'http' | 'https'
  /** A new request id (default: a random UUID). */
  generateId?: () => string
  /** Told of every invocation once its answer is over (Prometheus, node-metrics.ts). */
  metrics?: InvocationMetrics | undefined
  /** The zone this edge stands in (`--zone`): what locality-aware routing prefers. */
  zone?: string | undefined
}

function send(res: ServerResponse, e: EdgeError, id: string): void {
  if (res.headersSent) {
    res.destroy()
    return
  }
  const body = edgeErrorBody(e)
  res.writeHead(e.status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    [REQUEST_ID_HEADER]: id,
  })
  res.end(body)
}

/** Parsed once per upstream of a snapshot (they live as long as it), not per request. */
const targets = new WeakMap<Upstream, { origin: string; path: string }>()
function targetOf(upstream: Upstream): { origin: string; path: string } {
  let target = targets.get(upstream)
  if (!target) {
    const base = new URL(upstream.url)
    target = { origin: base.origin, path: base.pathname.replace(/\/$/, '') }
    targets.set(upstream, target)
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

/** Connect-phase failures: the request never reached the upstream. */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
])
const notSent = (err: unknown): boolean => {
  const code = (err as { code?: string }).code ?? ''
  return NOT_SENT_CODES.has(code) || err instanceof errors.ConnectTimeoutError
}

const header = (req: IncomingMessage, name: string): string | undefined => {
  const v = req.headers[name]
  return Array.isArray(v) ? v.join(', ') : v
}

export function createNodeHandler(
  deps: NodeHandlerDeps,
): (req: IncomingMessage, res: ServerResponse) => void {
  const hashHeader = deps.hashHeader?.toLowerCase()
  const trusted = deps.trustedProxy ?? (() => false)
  const proto = deps.proto ?? 'http'
  const now = () => performance.now()
  const start = invocationPipeline({
    store: deps.store,
    upstreams: deps.upstreams,
    budget: deps.budget,
    log: deps.log,
    random: deps.random ?? Math.random,
    now,
    generateId: deps.generateId ?? (() => crypto.randomUUID()),
  })

  return function handle(req, res) {
    const rawTarget = req.url ?? '/'
    if (rawTarget.startsWith('/_fado/')) return deps.fallback(req, res)
    const peer = req.socket.remoteAddress ?? ''
    const hashValue = hashHeader ? req.headers[hashHeader] : undefined
    const hasBody =
      req.headers['content-length'] !== undefined
        ? req.headers['content-length'] !== '0'
        : req.headers['transfer-encoding'] !== undefined
    const invocation = start({
      header: (name) => header(req, name.toLowerCase()),
      target: rawTarget,
      method: req.method ?? 'GET',
      hasBody,
      bodyConsumed: () => !(body?.intact ?? true),
      hop: { peer, proto, host: req.headers.host, trusted: trusted(peer) },
      forwarded: {
        xForwardedFor: header(req, 'x-forwarded-for'),
        forwarded: header(req, 'forwarded'),
      },
      hashKey: typeof hashValue === 'string' ? hashValue : undefined,
      zone: deps.zone,
    })
    let cluster = ''
    let remote = false
    if (deps.metrics) {
      const metrics = deps.metrics
      const started = now()
      const routed = invocation.bucket
      // Bytes answered: what this answer wrote to the client's connection (one answer at a time
      // on a kept-alive connection), status line and headers included.
      const socket = req.socket
      const written = socket.bytesWritten
      res.once('close', () =>
        metrics.invocation(
          {
            bucket: bucketLabel(routed),
            cluster,
            code: res.writableFinished ? res.statusCode : 499,
            zone: deps.zone,
            remote,
            bytes: Math.max(0, socket.bytesWritten - written),
          },
          (now() - started) / 1000,
        ),
      )
    }
    if (!invocation.ok) {
      req.resume()
      return send(res, invocation.error, invocation.id)
    }
    const { id, partial, target, where } = invocation
    const method = req.method ?? 'GET'
    const headers: Record<string, string | string[]> = forwardableNodeHeaders(req.headers)
    for (const name of FORWARDING_HEADERS) delete headers[name]
    Object.assign(headers, invocation.headers)
    // Each attempt gets the whole body or none: a stream undici destroyed is never sent again.
    const body = hasBody ? new ReplayableBody(req) : undefined

    const transport: Transport = (upstream, verdict) =>
      new Promise<Attempt>((resolve) => {
        const base = targetOf(upstream)
        const path = base.path + forwardedRest(upstream, target)
        let finished: ((end: 'complete' | 'cut' | 'client_gone') => void) | undefined
        let discarded = false
        let status = 0
        deps.dispatcher
          .stream(
            {
              origin: base.origin,
              path: path.startsWith('/') ? path : `/${path}`,
              method: method as Dispatcher.HttpMethod,
              headers,
              body: body ? body.open() : null,
              opaque: res,
            },
            ({ statusCode, headers: upHeaders }) => {
              status = statusCode
              if (verdict(statusCode) === 'retry') {
                discarded = true
                return discard()
              }
              const out = forwardableNodeHeaders(
                upHeaders as Record<string, string | string[] | undefined>,
              )
              for (const [name, value] of answerHeaders(upstream, id, partial, where))
                out[name] = value
              cluster = upstream.cluster
              remote = where.zone !== undefined && !isLocal(upstream, where)
              res.writeHead(statusCode, out)
              resolve({
                outcome: 'delivered',
                status: statusCode,
                finished: new Promise((r) => (finished = r)),
              })
              return res
            },
          )
          .then(
            () => {
              if (discarded) resolve({ outcome: 'discarded', status })
              else finished?.('complete')
            },
            (err: unknown) => {
              const clientGone =
                (res.destroyed && !res.writableFinished) || body?.clientFailed === true
              if (finished) {
                // The answer had begun: the client went away, or the upstream cut its body.
                finished(clientGone ? 'client_gone' : 'cut')
                res.destroy()
              } else if (clientGone) resolve({ outcome: 'client_gone' })
              else if (discarded) resolve({ outcome: 'discarded', status })
              else resolve({ outcome: 'failed', notSent: notSent(err), error: err })
            },
          )
      })

    void invocation.forward(transport).then((result) => {
      deps.metrics?.retries(result.attempts - 1)
      if (result.kind !== 'error') return
      if (body) body.release()
      else req.resume()
      send(res, result.error, id)
    })
  }
}
