/**
 * Starts an HTTP or HTTPS server on Node and stops it gracefully: no new connections, in-flight
 * ones finish. With TLS, the certificate and key files are read again when they change (a renewed
 * certificate is served without a restart; a broken one is logged and the old one kept).
 */
import fs from 'node:fs'
import http from 'node:http'
import https from 'node:https'
import type { AddressInfo, Socket } from 'node:net'
import { getRequestListener } from '@hono/node-server'
import type { Logger } from './log.js'

export interface RunningServer {
  url: string
  port: number
  close(graceMs?: number): Promise<void>
}

export type NodeHandler = (req: http.IncomingMessage, res: http.ServerResponse) => void

export interface TlsFiles {
  /** PEM certificate chain. */
  certFile: string
  /** PEM private key. */
  keyFile: string
}

export interface ListenOptions {
  /**
   * A connection silent (no byte either way) this long is closed. There is no limit on a whole
   * request: a long upload or download that keeps moving is never cut off (Node's own 5-minute
   * requestTimeout is turned off).
   */
  idleTimeoutMs?: number
  /** Serve HTTPS with these files. */
  tls?: TlsFiles | undefined
  /** Where a failed certificate reload is reported. */
  log?: Logger | undefined
  /** Slow clients (ClientLimits): how long headers may take, connections per client address. */
  limits?: ClientLimits | undefined
}

/** What one client may hold of a server. */
export interface ClientLimits {
  /** ms a client has to send a request's headers (checked every second). */
  headerTimeoutMs: number
  /** Connections one client address may hold open at once; 0 = no limit. */
  maxClientConnections: number
  /** Addresses exempt from the cap (a load balancer in front, --trusted-proxies). */
  exempt?: ((address: string) => boolean) | undefined
}

export const DEFAULT_CLIENT_LIMITS: ClientLimits = {
  headerTimeoutMs: 15_000,
  maxClientConnections: 256,
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

const readTls = (files: TlsFiles) => ({
  cert: fs.readFileSync(files.certFile),
  key: fs.readFileSync(files.keyFile),
})

/** How often certificate files are looked at for a change. */
const TLS_POLL_MS = 2_000

/** Serves a node:http handler. */
export async function listenNode(
  handler: NodeHandler,
  host: string,
  port: number,
  options: ListenOptions = {},
): Promise<RunningServer> {
  const limits = options.limits ?? DEFAULT_CLIENT_LIMITS
  const settings = {
    keepAliveTimeout: 30_000,
    requestTimeout: 0,
    headersTimeout: limits.headerTimeoutMs,
    // How often Node looks for connections over the header timeout (default 30 s).
    connectionsCheckingInterval: Math.min(1_000, limits.headerTimeoutMs),
  }
  const tls = options.tls
  const server = tls
    ? https.createServer({ ...settings, ...readTls(tls) }, handler)
    : http.createServer(settings, handler)
  // No 'timeout' listener: Node destroys a socket that stays idle past this.
  server.setTimeout(options.idleTimeoutMs ?? 120_000)
  if (limits.maxClientConnections > 0) capConnections(server, limits)
  let stopWatching = () => {}
  if (tls && server instanceof https.Server) {
    const reload = () => {
      try {
        server.setSecureContext(readTls(tls))
        options.log?.info('TLS certificate reloaded', { cert: tls.certFile })
      } catch (err) {
        options.log?.error('TLS certificate reload failed; serving the previous one', {
          cert: tls.certFile,
          error: err,
        })
      }
    }
    const onChange = (now: fs.Stats, before: fs.Stats) => {
      if (now.mtimeMs !== before.mtimeMs || now.size !== before.size) reload()
    }
    fs.watchFile(tls.certFile, { interval: TLS_POLL_MS, persistent: false }, onChange)
    fs.watchFile(tls.keyFile, { interval: TLS_POLL_MS, persistent: false }, onChange)
    stopWatching = () => {
      fs.unwatchFile(tls.certFile, onChange)
      fs.unwatchFile(tls.keyFile, onChange)
    }
  }
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
    url: `${tls ? 'https' : 'http'}://${urlHost}:${address.port}`,
    port: address.port,
    close(graceMs = 10_000) {
      stopWatching()
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

/** Closes a client's connection at once when its address holds the most it may already. */
function capConnections(server: http.Server, limits: ClientLimits): void {
  const open = new Map<string, number>()
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? ''
    if (limits.exempt?.(address)) return
    const held = open.get(address) ?? 0
    if (held >= limits.maxClientConnections) {
      socket.destroy()
      return
    }
    open.set(address, held + 1)
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1
      if (left <= 0) open.delete(address)
      else open.set(address, left)
    })
  })
}
