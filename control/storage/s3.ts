/**
 * One S3/MinIO deployment, with only the calls FaDO uses. minio-js does bucket operations,
 * listings, reads and deletes. Writes are our own SigV4-signed streaming PUT (signed with
 * minio-js's signer, UNSIGNED-PAYLOAD): minio-js's putObject buffers whole parts in memory and
 * uploads streams as multipart, changing the ETag (TOOLCHAIN.md); a single streamed PUT keeps
 * memory flat and the ETag equal to the content's MD5 up to S3's 5 GiB single-PUT limit.
 */
import { createHash } from 'node:crypto'
import type { Readable } from 'node:stream'
import * as Minio from 'minio'
import { signV4 } from 'minio/dist/esm/signing.mjs'
import { Agent, request, type Dispatcher } from 'undici'

export interface StorageConnection {
  endpoint: string
  use_ssl: boolean
  access_key: string
  secret_key: string
}

export interface ObjectEntry {
  key: string
  size: number
  etag: string
  last_modified: Date
}

export interface ObjectStream {
  body: Readable
  size: number
  etag: string
  content_type: string
  last_modified: Date
}

export class StorageError extends Error {
  constructor(
    message: string,
    /** 'unreachable' | 'credentials' | 'permission' | 'not_found' | 'failed' */
    readonly kind: 'unreachable' | 'credentials' | 'permission' | 'not_found' | 'failed',
    options?: { cause?: unknown },
  ) {
    super(message, options)
    this.name = 'StorageError'
  }
}

const REGION = 'us-east-1'
const EMPTY_SHA256 = createHash('sha256').update('').digest('hex')
const dispatcher = new Agent({
  connect: { timeout: 5_000 },
  headersTimeout: 60_000,
  bodyTimeout: 120_000,
})

/** RFC 3986 percent-encoding as SigV4 wants it (encodeURIComponent leaves !'()* alone). */
export function encodeRfc3986(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  )
}

/** S3 canonical URI: every path segment percent-encoded per RFC 3986, '/' kept. */
export function encodeKey(key: string): string {
  return key.split('/').map(encodeRfc3986).join('/')
}

const stripQuotes = (etag: string): string => etag.replace(/^"|"$/g, '')

const CONNECT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
])

/** Maps SDK / network errors to a StorageError with a reason a user can act on. */
export function classify(err: unknown, what: string): StorageError {
  if (err instanceof StorageError) return err
  const e = err as { code?: string; cause?: { code?: string }; message?: string }
  const code = e.code ?? e.cause?.code ?? ''
  if (CONNECT_CODES.has(code) || /connect|socket hang up|fetch failed/i.test(e.message ?? '')) {
    return new StorageError(`${what}: storage unreachable (${code || e.message})`, 'unreachable', {
      cause: err,
    })
  }
  if (code === 'InvalidAccessKeyId' || code === 'SignatureDoesNotMatch') {
    return new StorageError(`${what}: storage rejected the credentials (${code})`, 'credentials', {
      cause: err,
    })
  }
  if (code === 'AccessDenied')
    return new StorageError(`${what}: access denied`, 'permission', { cause: err })
  if (code === 'NoSuchKey' || code === 'NoSuchBucket' || code === 'NotFound') {
    return new StorageError(`${what}: not found (${code})`, 'not_found', { cause: err })
  }
  return new StorageError(`${what}: ${e.message ?? String(err)}`, 'failed', { cause: err })
}

export class S3Storage {
  readonly client: Minio.Client
  readonly #base: string

  constructor(readonly conn: StorageConnection) {
    const [host, port] = splitEndpoint(conn.endpoint)
    this.client = new Minio.Client({
      endPoint: host,
      ...(port === undefined ? {} : { port }),
      useSSL: conn.use_ssl,
      accessKey: conn.access_key,
      secretKey: conn.secret_key,
      region: REGION,
    })
    this.#base = `${conn.use_ssl ? 'https' : 'http'}://${conn.endpoint}`
  }

  /** A SigV4-signed request; `path` is already encoded and may carry a query. */
  async signed(
    method: 'GET' | 'PUT' | 'HEAD' | 'DELETE' | 'POST',
    path: string,
    opts: {
      headers?: Record<string, string>
      body?: Readable | string
      payloadHash?: string
      signal?: AbortSignal
    } = {},
  ): Promise<Dispatcher.ResponseData> {
    // Send the query in the order the signature covers it: minio-js's signer sorts the
    // parameters, and MinIO canonicalises repeated keys in the order they were sent.
    const [resource, query] = path.split('?') as [string, string | undefined]
    if (query) path = `${resource}?${query.split('&').sort().join('&')}`
    const date = new Date()
    const payloadHash =
      opts.payloadHash ??
      (typeof opts.body === 'string'
        ? createHash('sha256').update(opts.body).digest('hex')
        : EMPTY_SHA256)
    const headers: Record<string, string> = {
      ...opts.headers,
      host: this.conn.endpoint,
      'x-amz-date': date.toISOString().replace(/[:-]|\.\d{3}/g, ''),
      'x-amz-content-sha256': payloadHash,
    }
    headers.authorization = signV4(
      { method, path, headers } as never,
      this.conn.access_key,
      this.conn.secret_key,
      REGION,
      date,
      payloadHash,
      's3',
    )
    try {
      return await request(this.#base + path, {
        method,
        headers,
        body: opts.body ?? null,
        dispatcher,
        ...(opts.signal ? { signal: opts.signal } : {}),
      })
    } catch (err) {
      throw classify(err, `${method} ${this.conn.endpoint}${path.split('?')[0]}`)
    }
  }

  /** The MinIO deployment id (admin ServerInfo); needs admin credentials. */
  async deploymentId(): Promise<string> {
    return (await this.serverInfo()).deploymentId
  }

  /**
   * Admin ServerInfo: the deployment id, and the ARNs of the notification targets configured on
   * the server (e.g. arn:minio:sqs::FADO:webhook). Needs admin credentials.
   */
  async serverInfo(): Promise<{ deploymentId: string; sqsArns: string[] }> {
    const res = await this.signed('GET', '/minio/admin/v3/info', {
      signal: AbortSignal.timeout(10_000),
    })
    const text = await res.body.text()
    if (res.statusCode === 403 || res.statusCode === 401) {
      const code = /<Code>(\w+)<\/Code>|"Code":"(\w+)"/.exec(text)
      const reason = code?.[1] ?? code?.[2] ?? ''
      if (reason === 'InvalidAccessKeyId' || reason === 'SignatureDoesNotMatch') {
        throw new StorageError(`storage rejected the credentials (${reason})`, 'credentials')
      }
      throw new StorageError(
        'these credentials may not read server info (admin:ServerInfo is needed)',
        'permission',
      )
    }
    if (res.statusCode !== 200)
      throw new StorageError(`server info failed with status ${res.statusCode}`, 'failed')
    const info = JSON.parse(text) as { deploymentID?: string; sqsARN?: string[] }
    if (!info.deploymentID)
      throw new StorageError('server info did not include a deployment id', 'failed')
    return { deploymentId: info.deploymentID, sqsArns: info.sqsARN ?? [] }
  }

  /** Makes the bucket send object created/removed events to the notification target `arn`. */
  async notifyOnChanges(bucket: string, arn: string): Promise<void> {
    const config = new Minio.NotificationConfig()
    const queue = new Minio.QueueConfig(arn)
    queue.addEvent(Minio.ObjectCreatedAll)
    queue.addEvent(Minio.ObjectRemovedAll)
    config.add(queue)
    try {
      await this.client.setBucketNotification(bucket, config)
    } catch (err) {
      throw classify(err, `set notifications on ${bucket}`)
    }
  }

  async listBuckets(): Promise<string[]> {
    try {
      return (await this.client.listBuckets()).map((b) => b.name)
    } catch (err) {
      throw classify(err, `list buckets on ${this.conn.endpoint}`)
    }
  }

  async bucketExists(bucket: string): Promise<boolean> {
    try {
      return await this.client.bucketExists(bucket)
    } catch (err) {
      throw classify(err, `check bucket ${bucket}`)
    }
  }

  async makeBucket(bucket: string): Promise<void> {
    try {
      await this.client.makeBucket(bucket, REGION)
    } catch (err) {
      const code = (err as { code?: string }).code
      if (code === 'BucketAlreadyOwnedByYou') return
      throw classify(err, `create bucket ${bucket}`)
    }
  }

  /** Removes the bucket with everything in it; a bucket that is already gone is fine. */
  async removeBucket(bucket: string): Promise<void> {
    const res = await this.signed('DELETE', `/${encodeKey(bucket)}`, {
      headers: { 'x-minio-force-delete': 'true' },
    })
    const text = await res.body.text()
    if (res.statusCode === 204 || res.statusCode === 200 || text.includes('NoSuchBucket')) return
    throw new StorageError(
      `remove bucket ${bucket}: status ${res.statusCode} ${/<Code>(\w+)/.exec(text)?.[1] ?? ''}`,
      'failed',
    )
  }

  /** Every object of the bucket, in S3 key order (UTF-8 byte order). */
  async *listObjects(bucket: string): AsyncGenerator<ObjectEntry> {
    try {
      const stream = this.client.listObjectsV2(bucket, '', true)
      for await (const item of stream as AsyncIterable<{
        name?: string
        size: number
        etag: string
        lastModified: Date
      }>) {
        if (item.name === undefined) continue
        yield {
          key: item.name,
          size: Number(item.size),
          etag: stripQuotes(item.etag),
          last_modified: item.lastModified,
        }
      }
    } catch (err) {
      throw classify(err, `list ${bucket} on ${this.conn.endpoint}`)
    }
  }

  async stat(
    bucket: string,
    key: string,
  ): Promise<(ObjectEntry & { metadata: Record<string, string> }) | undefined> {
    try {
      const s = await this.client.statObject(bucket, key)
      return {
        key,
        size: s.size,
        etag: stripQuotes(s.etag),
        last_modified: s.lastModified,
        metadata: s.metaData as Record<string, string>,
      }
    } catch (err) {
      const e = classify(err, `stat ${bucket}/${key}`)
      if (e.kind === 'not_found') return undefined
      throw e
    }
  }

  async getObject(bucket: string, key: string): Promise<ObjectStream> {
    const res = await this.signed('GET', `/${encodeKey(bucket)}/${encodeKey(key)}`)
    if (res.statusCode !== 200) {
      const text = await res.body.text()
      const code = /<Code>(\w+)<\/Code>/.exec(text)?.[1] ?? `status ${res.statusCode}`
      throw classify(Object.assign(new Error(code), { code }), `get ${bucket}/${key}`)
    }
    const header = (name: string) => String(res.headers[name] ?? '')
    return {
      body: res.body,
      size: Number(header('content-length')),
      etag: stripQuotes(header('etag')),
      content_type: header('content-type') || 'application/octet-stream',
      last_modified: new Date(header('last-modified') || Date.now()),
    }
  }

  /** Streams `body` (exactly `size` bytes) into one object; returns its ETag. */
  async putObject(
    bucket: string,
    key: string,
    body: Readable,
    size: number,
    opts: { contentType?: string; metadata?: Record<string, string> } = {},
  ): Promise<string> {
    const headers: Record<string, string> = {
      'content-length': String(size),
      'content-type': opts.contentType ?? 'application/octet-stream',
    }
    for (const [k, v] of Object.entries(opts.metadata ?? {})) headers[`x-amz-meta-${k}`] = v
    const res = await this.signed('PUT', `/${encodeKey(bucket)}/${encodeKey(key)}`, {
      headers,
      body,
      payloadHash: 'UNSIGNED-PAYLOAD',
    })
    const text = await res.body.text()
    if (res.statusCode !== 200) {
      const code = /<Code>(\w+)<\/Code>/.exec(text)?.[1] ?? `status ${res.statusCode}`
      throw classify(Object.assign(new Error(code), { code }), `put ${bucket}/${key}`)
    }
    return stripQuotes(String(res.headers.etag ?? ''))
  }

  async removeObject(bucket: string, key: string): Promise<void> {
    try {
      await this.client.removeObject(bucket, key)
    } catch (err) {
      const e = classify(err, `remove ${bucket}/${key}`)
      if (e.kind !== 'not_found') throw e
    }
  }
}

function splitEndpoint(endpoint: string): [string, number | undefined] {
  const m = /^(.*?)(?::(\d+))?$/.exec(endpoint)
  return [m?.[1] ?? endpoint, m?.[2] ? Number(m[2]) : undefined]
}
