/**
 * Node forwarder on undici's Agent (pooled keep-alive connections per origin). Uses
 * `request`, which passes bytes through untouched (no decompression), streaming both ways.
 */
import { Readable } from 'node:stream'
import type { ReadableStream as WebReadableStream } from 'node:stream/web'
import { Agent, errors } from 'undici'
import { NotSentError, type Forward } from './app.js'
import { forwardableHeaders } from './headers.js'

export interface UndiciForwardOptions {
  connectTimeoutMs?: number
  /** Time to the response headers. */
  headersTimeoutMs?: number
  /** Time between two body chunks. */
  bodyTimeoutMs?: number
}

const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
])

export function undiciForward(options: UndiciForwardOptions = {}): {
  forward: Forward
  close(): Promise<void>
} {
  const agent = new Agent({
    connect: { timeout: options.connectTimeoutMs ?? 2_000 },
    headersTimeout: options.headersTimeoutMs ?? 60_000,
    bodyTimeout: options.bodyTimeoutMs ?? 60_000,
    keepAliveTimeout: 30_000,
    connections: 256,
  })
  const forward: Forward = async (upstream, request, pathAndQuery) => {
    const base = new URL(upstream.url)
    const headers = forwardableHeaders(request.headers)
    const inbound = new URL(request.url)
    headers.set('x-forwarded-host', inbound.host)
    headers.set('x-forwarded-proto', inbound.protocol.replace(':', ''))
    let res
    try {
      res = await agent.request({
        origin: base.origin,
        path: base.pathname.replace(/\/$/, '') + pathAndQuery,
        method: request.method as 'GET',
        headers: Object.fromEntries(headers),
        body: request.body ? Readable.fromWeb(request.body as WebReadableStream) : null,
      })
    } catch (err) {
      const code = (err as { code?: string }).code ?? ''
      if (NOT_SENT_CODES.has(code) || err instanceof errors.ConnectTimeoutError) {
        throw new NotSentError(`could not connect (${code})`, { cause: err })
      }
      throw err
    }
    const responseHeaders = new Headers()
    for (const [key, value] of Object.entries(res.headers)) {
      if (value === undefined) continue
      for (const v of Array.isArray(value) ? value : [value]) responseHeaders.append(key, v)
    }
    const out = forwardableHeaders(responseHeaders)
    const nullBody = res.statusCode === 204 || res.statusCode === 304 || request.method === 'HEAD'
    if (nullBody) res.body.resume()
    return new Response(nullBody ? null : (Readable.toWeb(res.body) as ReadableStream), {
      status: res.statusCode,
      headers: out,
    })
  }
  return { forward, close: () => agent.close() }
}
