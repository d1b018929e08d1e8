/**
 * The relay behaves like the link it stands for. Bounds, not speeds: a throttled transfer cannot
 * finish faster than size / bandwidth + RTT, and the data must arrive intact and in order.
 * (Upper bounds are generous: they only catch a relay that stalls.)
 */
import { createHash, randomBytes } from 'node:crypto'
import net from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { startWanRelay, type RunningRelay } from './wan-relay.js'

const closers: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of closers.splice(0)) await c()
})

/** A TCP server that answers each connection with `size` random bytes, and tells their hash. */
async function sender(size: number): Promise<{ port: number; hash: string }> {
  const data = randomBytes(size)
  const server = net.createServer((s) => s.end(data))
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  closers.push(() => new Promise((r) => server.close(() => r())))
  return {
    port: (server.address() as net.AddressInfo).port,
    hash: createHash('sha256').update(data).digest('hex'),
  }
}

async function fetchAll(relay: RunningRelay): Promise<{ ms: number; hash: string; size: number }> {
  const t0 = performance.now()
  const socket = net.connect(relay.port, '127.0.0.1')
  const hash = createHash('sha256')
  let size = 0
  for await (const chunk of socket) {
    hash.update(chunk as Buffer)
    size += (chunk as Buffer).length
  }
  return { ms: performance.now() - t0, hash: hash.digest('hex'), size }
}

describe('WAN relay', () => {
  it('limits bandwidth: 5 MB over 100 Mbit/s takes at least 0.4 s, arriving intact', async () => {
    const target = await sender(5_000_000)
    const relay = await startWanRelay({
      rttMs: 20,
      mbit: 100,
      target: { host: '127.0.0.1', port: target.port },
    })
    closers.push(relay.close)
    const got = await fetchAll(relay)
    expect(got.size).toBe(5_000_000)
    expect(got.hash).toBe(target.hash)
    expect(got.ms).toBeGreaterThanOrEqual(400)
    expect(got.ms).toBeLessThan(3_000)
    expect(relay.bytes.fromTarget).toBe(5_000_000)
  })

  it('adds the round-trip time to a small exchange', async () => {
    const target = await sender(100)
    const relay = await startWanRelay({
      rttMs: 40,
      mbit: 1000,
      target: { host: '127.0.0.1', port: target.port },
    })
    closers.push(relay.close)
    const got = await fetchAll(relay)
    expect(got.hash).toBe(target.hash)
    // Connect is local; the data then crosses the link once one way (RTT / 2) — at least 20 ms.
    expect(got.ms).toBeGreaterThanOrEqual(19)
  })

  it('shares the bandwidth between connections on the same link', async () => {
    const target = await sender(2_000_000)
    const relay = await startWanRelay({
      rttMs: 2,
      mbit: 80,
      target: { host: '127.0.0.1', port: target.port },
    })
    closers.push(relay.close)
    const t0 = performance.now()
    const both = await Promise.all([fetchAll(relay), fetchAll(relay)])
    // 4 MB at 10 MB/s: the pair cannot finish before 0.4 s.
    expect(performance.now() - t0).toBeGreaterThanOrEqual(395)
    for (const got of both) expect(got.hash).toBe(target.hash)
  })
})
