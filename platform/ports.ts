/**
 * Free TCP ports on 127.0.0.1 for the servers tests and benches start, and polling until something
 * is true.
 *
 * A port from the kernel (bind port 0, release it) is an ephemeral one: between its release and the
 * server's bind, any outgoing connection on the machine may take it as its local port, and another
 * test file running beside this one may be handed the same port — clean-clone CI runs saw SeaweedFS
 * and MinIO die with "address already in use" that way. So ports are handed out below the kernel's
 * ephemeral range (which outgoing connections never use), each process from its own slice (vitest's
 * worker id, else its pid), never the same port twice from one process, and each is checked free
 * by binding it first.
 */
import fs from 'node:fs'
import net from 'node:net'

const LOWEST = 10_000
const SLICE = 500

/** The first port of the kernel's ephemeral range (Linux: /proc; else IANA's 49152). */
function ephemeralStart(): number {
  try {
    const [low] = fs
      .readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/)
    const n = Number(low)
    if (Number.isInteger(n) && n > 0) return n
  } catch {
    // not Linux
  }
  return 49_152
}

let slice: { first: number; next: number } | undefined
process.env.FADO_PORTS_OWNER ??= String(process.pid)
const handedOut = new Set<number>()

function portSlice() {
  if (slice) return slice
  const slices = Math.floor((ephemeralStart() - LOWEST) / SLICE)
  if (slices < 4) return undefined
  // vitest numbers its workers 1..n: the first slices. A process a worker starts inherits its
  // VITEST_POOL_ID, but not its ownership of the slice; it and anything else spread by pid.
  const pool = Number(process.env.VITEST_POOL_ID)
  const owner = process.env.FADO_PORTS_OWNER
  const half = Math.floor(slices / 2)
  const index =
    Number.isInteger(pool) && pool > 0 && (owner === undefined || owner === String(process.pid))
      ? pool % half
      : half + (process.pid % (slices - half))
  const first = LOWEST + index * SLICE
  slice = { first, next: Math.floor(Math.random() * SLICE) }
  return slice
}

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer()
    server.once('error', () => resolve(false))
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
  })
}

function kernelPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
  })
}

export async function freePort(): Promise<number> {
  const own = portSlice()
  if (own) {
    for (let tries = 0; tries < SLICE; tries++) {
      const port = own.first + (own.next++ % SLICE)
      if (handedOut.has(port)) continue
      if (await bindable(port)) {
        handedOut.add(port)
        return port
      }
    }
  }
  return kernelPort()
}

/** Polls `check` until it resolves true, or fails after `timeoutMs` with `what` in the message. */
export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs
  let lastError: unknown
  while (Date.now() < deadline) {
    try {
      if (await check()) return
    } catch (err) {
      lastError = err
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`, { cause: lastError })
}
