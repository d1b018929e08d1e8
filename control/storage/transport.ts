/**
 * How FaDO reaches a storage server: pooled connections per timeout, the minio-js transport with
 * the same bounds, a body that fails when it stalls, and S3's path encoding.
 */
import http from 'node:http'
import https from 'node:https'
import type { LookupFunction } from 'node:net'
import { Agent } from 'undici'
import { assertNoTransaction } from '../lib/transaction-scope.js'
import { StorageError } from './errors.js'

/**
 * Pooled connections per timeout setting (and host resolver, when one is given), shared by every
 * deployment with that setting.
 */
const dispatchers = new Map<string, Agent>()
const resolverIds = new WeakMap<LookupFunction, number>()
let resolvers = 0
export function dispatcherFor(
  timeoutMs: number,
  streaming: boolean,
  lookup?: LookupFunction,
): Agent {
  if (lookup && !resolverIds.has(lookup)) resolverIds.set(lookup, ++resolvers)
  const id = `${timeoutMs}:${streaming}:${lookup ? resolverIds.get(lookup) : 0}`
  let agent = dispatchers.get(id)
  if (!agent) {
    agent = new Agent({
      connect: { timeout: timeoutMs, ...(lookup ? { lookup } : {}) },
      // An event stream may stay silent for long — MinIO sends even its headers only when it
      // flushes its first batch of records — so only connecting is bounded there.
      headersTimeout: streaming ? 0 : timeoutMs,
      bodyTimeout: streaming ? 0 : timeoutMs,
      keepAliveTimeout: 10_000,
    })
    dispatchers.set(id, agent)
  }
  return agent
}

/** Thrown by the minio-js transport when a socket stays silent past the timeout. */
class SocketTimeout extends Error {
  readonly code = 'FADO_STORAGE_TIMEOUT'
  constructor(ms: number) {
    super(`no answer within ${ms} ms`)
  }
}

/**
 * minio-js's transport: node:http(s) with a socket inactivity limit (connecting included) that
 * destroys the request, and the transaction guard. minio-js has no timeout of its own.
 */
export function timedTransport(useSsl: boolean, timeoutMs: number, lookup?: LookupFunction) {
  const base = useSsl ? https : http
  return {
    request(options: http.RequestOptions, callback?: (res: http.IncomingMessage) => void) {
      assertNoTransaction('a storage call')
      const req = base.request(lookup ? { ...options, lookup } : options, callback)
      req.setTimeout(timeoutMs, () => req.destroy(new SocketTimeout(timeoutMs)))
      return req
    },
  }
}

/**
 * A request body for undici that fails the upload when the storage stops taking bytes for
 * `timeoutMs` while bytes are waiting (a stalled server); a slow sender is not a stall.
 */
export function stallGuarded(
  body: AsyncIterable<Buffer>,
  timeoutMs: number,
  abort: (err: Error) => void,
): AsyncIterable<Buffer> {
  let waitingOnStorage = false
  let since = Date.now()
  const timer = setInterval(
    () => {
      if (waitingOnStorage && Date.now() - since > timeoutMs)
        abort(new StorageError(`the storage took no data for ${timeoutMs} ms`, 'timeout'))
    },
    Math.max(50, Math.min(1000, timeoutMs / 4)),
  )
  timer.unref()
  return (async function* () {
    try {
      for await (const chunk of body) {
        waitingOnStorage = true
        since = Date.now()
        yield chunk as Buffer
        waitingOnStorage = false
      }
    } finally {
      clearInterval(timer)
    }
  })()
}

/** RFC 3986 percent-encoding as SigV4 wants it (encodeURIComponent leaves !'()* alone). */
export function encodeRfc3986(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  )
}

/**
 * S3 canonical URI: every path segment percent-encoded per RFC 3986, '/' kept. A '.' or '..'
 * segment is refused: URL handling on either side may resolve it after signing and address
 * another object or bucket (a key 'x/../../other-bucket/k').
 */
export function encodeKey(key: string): string {
  const segments = key.split('/')
  if (segments.some((s) => s === '.' || s === '..')) {
    throw new StorageError(
      `object key ${JSON.stringify(key)} has a '.' or '..' segment, which S3 URLs cannot carry safely`,
      'invalid_key',
    )
  }
  return segments.map(encodeRfc3986).join('/')
}

export const stripQuotes = (etag: string): string => etag.replace(/^"|"$/g, '')
