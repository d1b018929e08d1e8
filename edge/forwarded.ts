/**
 * Pure: who the client is, as told to the upstream. The client address is appended to
 * X-Forwarded-For and to Forwarded (RFC 7239); what the request already said in them is kept only
 * when it came from a configured proxy (a load balancer in front of the edge) — anyone else could
 * write anything there.
 */

/** Exact IPv4/IPv6 addresses and IPv4 CIDR blocks (10.0.0.0/8). */
export function proxyMatcher(entries: readonly string[]): (address: string) => boolean {
  const exact = new Set<string>()
  const blocks: [number, number][] = []
  for (const entry of entries) {
    const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d{1,2})$/.exec(entry)
    if (m) {
      const bits = Number(m[2])
      const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0
      blocks.push([(ipv4(m[1] as string) ?? 0) & mask, mask])
    } else exact.add(normalize(entry))
  }
  return (address) => {
    const a = normalize(address)
    if (exact.has(a)) return true
    const v4 = ipv4(a)
    return v4 !== undefined && blocks.some(([net, mask]) => (v4 & mask) >>> 0 === net)
  }
}

/** ::ffff:1.2.3.4 (how Node reports IPv4 on a dual-stack socket) → 1.2.3.4. */
const normalize = (address: string): string =>
  address.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, '$1')

function ipv4(address: string): number | undefined {
  const parts = address.split('.')
  if (parts.length !== 4) return undefined
  let n = 0
  for (const p of parts) {
    const v = Number(p)
    if (!/^\d{1,3}$/.test(p) || v > 255) return undefined
    n = n * 256 + v
  }
  return n >>> 0
}

export interface Hop {
  /** The peer's address (the socket's remote end). */
  peer: string
  proto: 'http' | 'https'
  /** The Host the client asked for. */
  host: string | undefined
  /** Is the peer a proxy whose forwarding headers are believed? */
  trusted: boolean
}

const forwardedNode = (address: string): string => {
  const a = normalize(address)
  return a.includes(':') ? `"[${a}]"` : a
}
const quoted = (value: string): string =>
  /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(value) ? value : `"${value.replace(/["\\]/g, '\\$&')}"`

export function forwardingHeaders(
  incoming: { xForwardedFor?: string | undefined; forwarded?: string | undefined },
  hop: Hop,
): Record<string, string> {
  const peer = normalize(hop.peer)
  const element = [
    `for=${forwardedNode(peer)}`,
    `proto=${hop.proto}`,
    ...(hop.host ? [`host=${quoted(hop.host)}`] : []),
  ].join(';')
  const keepXff = hop.trusted && incoming.xForwardedFor
  const keepForwarded = hop.trusted && incoming.forwarded
  return {
    'x-forwarded-for': keepXff ? `${incoming.xForwardedFor}, ${peer}` : peer,
    forwarded: keepForwarded ? `${incoming.forwarded}, ${element}` : element,
    'x-forwarded-proto': hop.proto,
    ...(hop.host ? { 'x-forwarded-host': hop.host } : {}),
  }
}
