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
  'host',
])

/** The header names a Connection header lists, lower-cased. */
function namedByConnection(connection: string | string[] | undefined | null): Set<string> {
  const value = Array.isArray(connection) ? connection.join(',') : (connection ?? '')
  return new Set(
    value
      .split(',')
      .map((h) => h.trim().toLowerCase())
      .filter(Boolean),
  )
}

/** Fetch Headers to send on, without hop-by-hop ones. */
export function forwardableHeaders(headers: Headers): Headers {
  const out = new Headers()
  const named = namedByConnection(headers.get('connection'))
  headers.forEach((value, key) => {
    if (!HOP_BY_HOP.has(key) && !named.has(key)) out.append(key, value)
  })
  return out
}

/** Node header object (lower-case keys) to send on, without hop-by-hop ones. */
export function forwardableNodeHeaders(
  headers: Record<string, string | string[] | undefined>,
): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {}
  const named = namedByConnection(headers.connection)
  for (const key in headers) {
    const value = headers[key]
    if (value === undefined || HOP_BY_HOP.has(key) || named.has(key)) continue
    out[key] = value
  }
  return out
}
