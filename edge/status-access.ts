/**
 * Who reads what of GET /_fado/status, on both runtimes. The invocation port is public: without a
 * token it answers only what a client may want to know (is this edge serving, which version).
 * The full report — upstream ids and health, requests in flight, the retry budget, the lineage,
 * refusals — goes to a request bearing the edge's own control token (the edge token it pulls
 * snapshots with); `fado standalone` shows it in the admin API (GET /api/load-balancer) instead.
 */

const hex = (bytes: ArrayBuffer): string =>
  [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, '0')).join('')

/** SHA-256 of a token, hex (Web Crypto: the same on Node and Workers). */
export async function tokenHash(token: string): Promise<string> {
  return hex(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token)))
}

/**
 * Does this Authorization header carry the token whose hash is `expected`? Hashes are compared
 * whole, whatever differs where, so the time taken tells nothing of the token.
 */
export async function bearsToken(
  authorization: string | undefined,
  expected: string | undefined,
): Promise<boolean> {
  if (!expected || !authorization) return false
  const presented = /^Bearer[ ]+(\S+)\s*$/i.exec(authorization)?.[1]
  if (!presented) return false
  const actual = await tokenHash(presented)
  let diff = actual.length ^ expected.length
  for (let i = 0; i < expected.length; i++)
    diff |= (actual.charCodeAt(i) || 0) ^ expected.charCodeAt(i)
  return diff === 0
}
