import { describe, expect, it } from 'vitest'
import { forwardingHeaders, proxyMatcher } from './forwarded.js'

describe('forwardingHeaders', () => {
  it('an untrusted peer: its own X-Forwarded-For / Forwarded are replaced by what the edge saw', () => {
    expect(
      forwardingHeaders(
        { xForwardedFor: '1.2.3.4', forwarded: 'for=1.2.3.4' },
        { peer: '::ffff:203.0.113.7', proto: 'http', host: 'edge.example:6000', trusted: false },
      ),
    ).toEqual({
      'x-forwarded-for': '203.0.113.7',
      forwarded: 'for=203.0.113.7;proto=http;host="edge.example:6000"',
      'x-forwarded-proto': 'http',
      'x-forwarded-host': 'edge.example:6000',
    })
  })

  it('a trusted proxy: the chain is kept and the peer appended; IPv6 is bracketed and quoted', () => {
    expect(
      forwardingHeaders(
        { xForwardedFor: '198.51.100.1', forwarded: 'for=198.51.100.1;proto=https' },
        { peer: '2001:db8::5', proto: 'https', host: 'edge', trusted: true },
      ),
    ).toEqual({
      'x-forwarded-for': '198.51.100.1, 2001:db8::5',
      forwarded: 'for=198.51.100.1;proto=https, for="[2001:db8::5]";proto=https;host=edge',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'edge',
    })
  })
})

describe('proxyMatcher', () => {
  it('matches exact addresses and IPv4 blocks, including IPv4-mapped IPv6', () => {
    const trusted = proxyMatcher(['10.0.0.0/8', '192.168.1.10', '::1'])
    for (const a of ['10.1.2.3', '::ffff:10.255.0.1', '192.168.1.10', '::1'])
      expect(trusted(a), a).toBe(true)
    for (const a of ['11.0.0.1', '192.168.1.11', '127.0.0.1', '']) expect(trusted(a), a).toBe(false)
    expect(proxyMatcher(['0.0.0.0/0'])('8.8.8.8')).toBe(true)
  })
})
