/**
 * Hop-by-hop headers (RFC 9110 §7.6.1): they describe one connection and are never forwarded,
 * nor are the headers a Connection header names. `host` is set by the client for the upstream.
 */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'expect',
])

/** Headers to send on: hop-by-hop ones (and those Connection lists) and `host` removed. */
export function forwardableHeaders(headers: Headers, drop: readonly string[] = []): Headers {
  const out = new Headers()
  const named = new Set(
    (headers.get('connection') ?? '')
      .split(',')
      .map((h) => h.trim().toLowerCase())
      .filter(Boolean),
  )
  headers.forEach((value, key) => {
    if (HOP_BY_HOP.has(key) || named.has(key) || key === 'host' || drop.includes(key)) return
    out.append(key, value)
  })
  return out
}
