import fs from 'node:fs'
import net from 'node:net'
import { describe, expect, it } from 'vitest'
import { freePort } from './ports.js'

describe('freePort', () => {
  it('hands out distinct ports below the ephemeral range, each one a server can bind', async () => {
    const [low] = fs
      .readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/)
    const ports: number[] = []
    for (let i = 0; i < 40; i++) ports.push(await freePort())
    expect(new Set(ports).size).toBe(ports.length)
    for (const port of ports) expect(port).toBeLessThan(Number(low))
    for (const port of ports.slice(0, 5)) {
      const server = net.createServer()
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject)
        server.listen(port, '127.0.0.1', resolve)
      })
      await new Promise((r) => server.close(r))
    }
  })
})
