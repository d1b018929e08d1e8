/**
 * A small FaaS endpoint like the thesis's OpenFaaS functions, for tests, benchmarks and
 * `fado demo`. Under an optional path prefix:
 *   /function/image?object=KEY   reads KEY from the (first) bucket X-FaDO-Bucket names, in its own
 *                                 cluster's MinIO, answers {cluster, bucket, object, size, sha256, raw}
 *   /function/nodeinfo           answers {cluster, path, query, raw (the request target as received)}
 *   /function/echo               streams the request body back, with the headers it received
 *   /function/fail               answers 500, always
 *   /healthz                     200 while healthy, 503 after setHealthy(false)
 * Options add a fixed delay and a concurrency cap, to model slow or small clusters, and named
 * functions mounted at paths of their own (`functions: {'/function/resize': 'resize'}` as
 * OpenFaaS serves them, or `{'/': 'resize'}` for a host per function as Knative or a Lambda
 * function URL gives): a request at or under a mount answers {cluster, function, path, query,
 * raw} and, given X-FaDO-Bucket and ?object=KEY, also the object's size and sha256 as read here.
 */
import { createHash } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { S3Storage } from '../control/storage/s3.js'
import type { StorageConnection } from '../control/storage/types.js'

export interface FunctionServerOptions {
  cluster: string
  /** The cluster's own storage; image reads come from here first. */
  storage: S3Storage
  /**
   * Other clusters' storage (through WAN relays in the demo): where the object is read from when
   * the own cluster has no copy, as a data-oblivious placement forces a real function to do.
   */
  remotes?: S3Storage[]
  prefix?: string
  /** Bucket header name. */
  header?: string
  delayMs?: number
  /** Up to this much more, uniformly at random, on top of delayMs. */
  jitterMs?: number
  /** Between these wall-clock times (ms since the epoch) every answer takes delayMs instead. */
  slow?: { from: number; until: number; delayMs: number }
  /** Requests served at once; more wait in a queue. */
  capacity?: number
  host?: string
  port?: number
  /** Mount path → function name (see above); checked before everything else. */
  functions?: Record<string, string>
}

export interface RunningFunctionServer {
  url: string
  port: number
  /** Requests answered, by path. */
  hits: Map<string, number>
  /** What /healthz answers from now on. */
  setHealthy(healthy: boolean): void
  /** How long each answer waits from now on (ms; undefined: as started). */
  setDelay(ms: number | undefined): void
  close(): Promise<void>
}

/** The object from the first storage that has it. */
async function readAnywhere(storages: S3Storage[], bucket: string, key: string) {
  let lastError: unknown = new Error('no storage to read from')
  for (const storage of storages) {
    try {
      return await storage.getObject(bucket, key)
    } catch (err) {
      lastError = err
      if ((err as { kind?: string }).kind !== 'not_found') throw err
    }
  }
  throw lastError
}

export async function startFunctionServer(
  opts: FunctionServerOptions,
): Promise<RunningFunctionServer> {
  const prefix = (opts.prefix ?? '').replace(/\/$/, '')
  const header = (opts.header ?? 'X-FaDO-Bucket').toLowerCase()
  const hits = new Map<string, number>()
  let healthy = true
  let delayOverride: number | undefined
  const delayNow = (): number => {
    if (delayOverride !== undefined) return delayOverride
    const now = Date.now()
    if (opts.slow && now >= opts.slow.from && now < opts.slow.until) return opts.slow.delayMs
    return (opts.delayMs ?? 0) + (opts.jitterMs ? Math.random() * opts.jitterMs : 0)
  }
  let active = 0
  const queue: (() => void)[] = []
  const acquire = async () => {
    if (opts.capacity === undefined || active < opts.capacity) {
      active++
      return
    }
    await new Promise<void>((resolve) => queue.push(resolve))
    active++
  }
  const release = () => {
    active--
    queue.shift()?.()
  }
  const json = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' })
    res.end(JSON.stringify(body))
  }

  /** Reads the object (from this cluster's storage first) and answers its size and SHA-256. */
  const digest = async (bucket: string, object: string) => {
    const stream = await readAnywhere([opts.storage, ...(opts.remotes ?? [])], bucket, object)
    const hash = createHash('sha256')
    let size = 0
    for await (const chunk of stream.body) {
      hash.update(chunk as Buffer)
      size += (chunk as Buffer).length
    }
    return { size, sha256: hash.digest('hex') }
  }

  const server = http.createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://function')
      const path = url.pathname.startsWith(prefix + '/')
        ? url.pathname.slice(prefix.length)
        : undefined
      hits.set(url.pathname, (hits.get(url.pathname) ?? 0) + 1)
      await acquire()
      try {
        const delay = delayNow()
        if (delay > 0) await new Promise((r) => setTimeout(r, delay))
        const mounted = Object.entries(opts.functions ?? {}).find(
          ([mount]) =>
            mount === '/' || url.pathname === mount || url.pathname.startsWith(`${mount}/`),
        )
        if (mounted) {
          const info = {
            cluster: opts.cluster,
            function: mounted[1],
            path: url.pathname,
            query: url.search,
            raw: req.url,
          }
          const bucket = req.headers[header]
          const object = url.searchParams.get('object')
          if (typeof bucket !== 'string' || !object) return json(res, 200, info)
          const first = bucket.split(',')[0]?.trim() ?? ''
          try {
            return json(res, 200, { ...info, bucket: first, ...(await digest(first, object)) })
          } catch (err) {
            return json(res, 502, { ...info, error: (err as Error).message })
          }
        }
        if (path === '/function/nodeinfo')
          return json(res, 200, {
            cluster: opts.cluster,
            path: url.pathname,
            query: url.search,
            raw: req.url,
          })
        if (path === '/function/fail')
          return json(res, 500, { error: 'this function always fails' })
        if (path === '/healthz') return json(res, healthy ? 200 : 503, { healthy })
        if (path === '/function/echo') {
          res.writeHead(200, {
            'content-type': req.headers['content-type'] ?? 'application/octet-stream',
            'x-received-headers': JSON.stringify(req.headers),
          })
          req.pipe(res)
          await new Promise((r) => res.on('finish', r))
          return
        }
        if (path === '/function/image') {
          // An invocation may name several buckets (`a, b`): the object is read from the first.
          const bucket = (req.headers[header] as string | undefined)?.split(',')[0]?.trim()
          const object = url.searchParams.get('object')
          if (typeof bucket !== 'string' || !object)
            return json(res, 400, { error: 'needs the bucket header and ?object=' })
          try {
            return json(res, 200, {
              cluster: opts.cluster,
              bucket,
              object,
              ...(await digest(bucket, object)),
              raw: req.url,
            })
          } catch (err) {
            return json(res, 502, {
              cluster: opts.cluster,
              error: `cannot read ${bucket}/${object} here: ${(err as Error).message}`,
            })
          }
        }
        json(res, 404, { error: `no function at ${url.pathname}` })
      } finally {
        release()
      }
    })().catch(() => {
      if (!res.headersSent) json(res, 500, { error: 'function failed' })
      else res.destroy()
    })
  })
  await new Promise<void>((resolve) =>
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', resolve),
  )
  const port = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}${prefix}`,
    port,
    hits,
    setHealthy: (value) => {
      healthy = value
    },
    setDelay: (ms) => {
      delayOverride = ms
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

/** What starts a function server, in plain data: it can cross a process boundary. */
export interface FunctionServerSpec {
  cluster: string
  storage: StorageConnection
  remotes?: StorageConnection[]
  prefix?: string
  delayMs?: number
  jitterMs?: number
  slow?: { from: number; until: number; delayMs: number }
  capacity?: number
  functions?: Record<string, string>
}

export function startFunctionServerFromSpec(
  spec: FunctionServerSpec,
): Promise<RunningFunctionServer> {
  return startFunctionServer({
    ...spec,
    storage: new S3Storage(spec.storage),
    remotes: (spec.remotes ?? []).map((r) => new S3Storage(r)),
  })
}
