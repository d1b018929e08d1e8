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

/** Serves a Fetch-style handler (a Hono app's `fetch`). */
export function listen(
  fetch: (request: Request) => Response | Promise<Response>,
  host: string,
  port: number,
): Promise<RunningServer> {
  return listenNode(getRequestListener(fetch), host, port)
}

/** Serves a node:http handler. */
export async function listenNode(
  handler: NodeHandler,
  host: string,
  port: number,
): Promise<RunningServer> {
  const server = http.createServer({ keepAliveTimeout: 30_000 }, handler)
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
