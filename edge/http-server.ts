/** Starts an HTTP server on Node and stops it gracefully: no new connections, in-flight ones finish. */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { getRequestListener } from '@hono/node-server'

export interface RunningServer {
  url: string
  port: number
  close(graceMs?: number): Promise<void>
}

export type NodeHandler = (req: http.IncomingMessage, res: http.ServerResponse) => void

export interface ListenOptions {
  /**
   * A connection silent (no byte either way) this long is closed. There is no limit on a whole
   * request: a long upload or download that keeps moving is never cut off (Node's own 5-minute
   * requestTimeout is turned off).
   */
  idleTimeoutMs?: number
}

/** Serves a Fetch-style handler (a Hono app's `fetch`). */
export function listen(
  fetch: (request: Request, env: unknown) => Response | Promise<Response>,
  host: string,
  port: number,
  options: ListenOptions = {},
): Promise<RunningServer> {
  return listenNode(getRequestListener(fetch), host, port, options)
}

/** Serves a node:http handler. */
export async function listenNode(
  handler: NodeHandler,
  host: string,
  port: number,
  options: ListenOptions = {},
): Promise<RunningServer> {
  const server = http.createServer(
    { keepAliveTimeout: 30_000, requestTimeout: 0, headersTimeout: 60_000 },
    handler,
  )
  // No 'timeout' listener: Node destroys a socket that stays idle past this.
  server.setTimeout(options.idleTimeoutMs ?? 120_000)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const address = server.address() as AddressInfo
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address
  return {
    url: `http://${urlHost}:${address.port}`,
    port: address.port,
    close(graceMs = 10_000) {
      return new Promise<void>((resolve) => {
        const force = setTimeout(() => server.closeAllConnections(), graceMs).unref()
        // Keep-alive connections turn idle as their last response finishes: close them as they
        // do, so the server stops as soon as in-flight requests are done.
        const sweep = setInterval(() => server.closeIdleConnections(), 50).unref()
        server.close(() => {
          clearTimeout(force)
          clearInterval(sweep)
          resolve()
        })
        server.closeIdleConnections()
      })
    },
  }
}
