/**
 * A TCP relay that behaves like a WAN link between two clusters: one-way delay (RTT / 2) and a
 * bandwidth shared by every connection on the link, per direction. This machine's kernel has no
 * `tc netem`, so the demo and the placement benchmark put this between a function server and
 * another cluster's MinIO. Order is kept per connection; a full link pauses the sender.
 */
import net from 'node:net'
import type { AddressInfo } from 'node:net'

export interface WanLinkOptions {
  /** Round-trip time added, in ms. */
  rttMs: number
  /** Bandwidth per direction, in Mbit/s. */
  mbit: number
  target: { host: string; port: number }
  host?: string
  port?: number
  /**
   * A link shared with other relays (wanLink): one host's single uplink to several servers. The
   * relay then takes its delay and bandwidth from the link, not from rttMs/mbit.
   */
  link?: WanLink
}

/** Both directions of one link, which several relays may share. */
export interface WanLink {
  up: Direction
  down: Direction
}

export function wanLink(rttMs: number, mbit: number): WanLink {
  const bytesPerMs = (mbit * 1_000_000) / 8 / 1000
  return { up: new Direction(rttMs / 2, bytesPerMs), down: new Direction(rttMs / 2, bytesPerMs) }
}

export interface RunningRelay {
  /** host:port to connect to instead of the target. */
  endpoint: string
  port: number
  /** Bytes carried, per direction. */
  bytes: { toTarget: number; fromTarget: number }
  close(): Promise<void>
}

/** One direction of the link: when it is next free, shared by all connections. */
class Direction {
  #freeAt = 0
  constructor(
    private readonly delayMs: number,
    private readonly bytesPerMs: number,
  ) {}

  /** When a chunk of `size` bytes sent now arrives at the other end (ms, performance.now()). */
  arrival(size: number): number {
    const now = performance.now()
    const start = Math.max(now, this.#freeAt)
    this.#freeAt = start + size / this.bytesPerMs
    return this.#freeAt + this.delayMs
  }
}

/**
 * Pipes `from` into `to` through the link direction: each chunk waits in one FIFO queue until its
 * arrival time (a timer per chunk could fire out of order within a millisecond), and `from` is
 * paused while much is in flight.
 */
function pipeThroughLink(
  from: net.Socket,
  to: net.Socket,
  link: Direction,
  count: (n: number) => void,
) {
  const HIGH_WATER = 1 << 20
  const queue: { at: number; chunk: Buffer | null }[] = []
  let queued = 0
  let timer: NodeJS.Timeout | undefined
  const drain = () => {
    timer = undefined
    const now = performance.now()
    while (queue.length > 0 && (queue[0]?.at ?? Infinity) <= now) {
      const { chunk } = queue.shift()!
      if (chunk === null) {
        to.end()
        continue
      }
      queued -= chunk.length
      if (!to.destroyed) to.write(chunk)
    }
    if (queued <= HIGH_WATER && from.isPaused()) from.resume()
    const next = queue[0]
    if (next) timer = setTimeout(drain, Math.max(0, next.at - performance.now()))
  }
  const enqueue = (chunk: Buffer | null) => {
    queue.push({ at: link.arrival(chunk?.length ?? 0), chunk })
    if (!timer) timer = setTimeout(drain, Math.max(0, (queue[0]?.at ?? 0) - performance.now()))
  }
  from.on('data', (chunk: Buffer) => {
    count(chunk.length)
    queued += chunk.length
    if (queued > HIGH_WATER) from.pause()
    enqueue(chunk)
  })
  // Half-close once the last chunk has crossed the link.
  from.on('end', () => enqueue(null))
  to.on('close', () => clearTimeout(timer))
}

export async function startWanRelay(opts: WanLinkOptions): Promise<RunningRelay> {
  const { up, down } = opts.link ?? wanLink(opts.rttMs, opts.mbit)
  const bytes = { toTarget: 0, fromTarget: 0 }
  const sockets = new Set<net.Socket>()
  const server = net.createServer((client) => {
    const upstream = net.connect(opts.target.port, opts.target.host)
    for (const s of [client, upstream]) {
      sockets.add(s)
      s.setNoDelay(true)
      s.on('close', () => sockets.delete(s))
    }
    client.on('error', () => upstream.destroy())
    upstream.on('error', () => client.destroy())
    // A clean end is passed on after the last chunk crossed (pipeThroughLink); only a broken
    // connection tears its peer down at once.
    client.on('close', (hadError) => hadError && upstream.destroy())
    upstream.on('close', (hadError) => hadError && client.destroy())
    pipeThroughLink(client, upstream, up, (n) => (bytes.toTarget += n))
    pipeThroughLink(upstream, client, down, (n) => (bytes.fromTarget += n))
  })
  await new Promise<void>((resolve) =>
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', resolve),
  )
  const port = (server.address() as AddressInfo).port
  return {
    endpoint: `${opts.host ?? '127.0.0.1'}:${port}`,
    port,
    bytes,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}
