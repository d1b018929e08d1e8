/**
 * The storage adaptor: one S3 server, with only the calls FaDO uses — buckets, object
 * list/stat/get/put/delete (streamed), signed requests — and what the kind adds (CAPABILITIES):
 * 'minio' has an admin API, pushes changes and takes batched uploads; 's3' is any S3-compatible
 * server, plain S3 calls only. Everything above it (planner, reconciler, API, routing) asks
 * capabilities, never the kind. Beside it, each a job of its own over an S3Storage: identity.ts
 * (which server this is), admin-api.ts (MinIO's admin API), bucket-notifications.ts, multipart.ts;
 * transport.ts (pooled, bounded connections) and errors.ts (failures by kind).
 *
 * minio-js does bucket operations, listings, reads and deletes. Writes are our own SigV4-signed
 * streaming PUT (signed with minio-js's signer, UNSIGNED-PAYLOAD): minio-js's putObject buffers
 * whole parts in memory and uploads streams as multipart, changing the ETag (TOOLCHAIN.md); a
 * single streamed PUT keeps memory flat and the ETag equal to the content's MD5 up to S3's 5 GiB
 * single-PUT limit. Larger objects go as multipart uploads, streamed part by part.
 *
 * Every call is bounded by the deployment's timeout (--storage-timeout): to connect, for the
 * answer to start, and between body chunks — so a server that accepts connections and never
 * answers fails a call with kind 'timeout' instead of hanging it. None may run inside a database
 * transaction (assertNoTransaction).
 */
import { createHash } from 'node:crypto'
import type { LookupFunction } from 'node:net'
import { Readable } from 'node:stream'
import * as Minio from 'minio'
import type { Dispatcher } from 'undici'
import { giveWay } from '../lib/concurrency.js'
import { assertNoTransaction } from '../lib/transaction-scope.js'
import { answerText, classify, s3Failure, StorageError } from './errors.js'
import {
  MAX_PART,
  MIN_PART,
  MULTIPART_THRESHOLD,
  partBytesFor,
  putMultipart,
  startUpload,
} from './multipart.js'
import { amzDate, SigV4Signer } from './sigv4.js'
import { parseListPage, type ListPage } from './list-page.js'
import {
  dispatcherFor,
  encodeKey,
  encodeRfc3986,
  stallGuarded,
  stripQuotes,
  timedTransport,
} from './transport.js'
import {
  CAPABILITIES,
  DEFAULT_REGION,
  DEFAULT_STORAGE_TIMEOUT_MS,
  type ObjectEntry,
  type ObjectStream,
  type StorageCapabilities,
  type StorageConnection,
  type StorageKind,
  type StorageOptions,
} from './types.js'

const EMPTY_SHA256 = createHash('sha256').update('').digest('hex')

/** MinIO's snowball upload: a PUT of a tar, extracted by the server into one object per entry. */
/** A multipart upload whose steps whoever holds these URLs may send. */
export interface PresignedMultipart {
  upload_id: string
  part_bytes: number
  parts: { part_number: number; url: string }[]
  complete_url: string
  abort_url: string
}

export const SNOWBALL = { 'snowball-auto-extract': 'true' }

export class S3Storage {
  readonly client: Minio.Client
  readonly timeoutMs: number
  readonly kind: StorageKind
  readonly capabilities: StorageCapabilities
  readonly multipart: { thresholdBytes: number; partBytes: number }
  readonly region: string
  /** bucket.host/key instead of host/bucket/key. */
  readonly virtualHosted: boolean
  readonly #scheme: string
  readonly #signer: SigV4Signer
  readonly #lookup: LookupFunction | undefined

  constructor(
    readonly conn: StorageConnection,
    options: StorageOptions = {},
  ) {
    const [host, port] = splitEndpoint(conn.endpoint)
    this.kind = conn.kind ?? 'minio'
    this.capabilities = CAPABILITIES[this.kind]
    this.timeoutMs = options.timeoutMs ?? DEFAULT_STORAGE_TIMEOUT_MS
    const threshold = options.multipartThresholdBytes ?? MULTIPART_THRESHOLD
    this.multipart = {
      thresholdBytes: threshold,
      partBytes: Math.min(MAX_PART, Math.max(MIN_PART, threshold)),
    }
    this.region = conn.region ?? DEFAULT_REGION
    this.virtualHosted = conn.addressing === 'virtual'
    this.#lookup = options.lookup
    this.client = new Minio.Client({
      endPoint: host,
      ...(port === undefined ? {} : { port }),
      useSSL: conn.use_ssl,
      accessKey: conn.access_key,
      secretKey: conn.secret_key,
      region: this.region,
      pathStyle: !this.virtualHosted,
      transport: timedTransport(conn.use_ssl, this.timeoutMs, this.#lookup),
      // FaDO retries at its own level (reconciler backoff); minio-js would retry silently and
      // log to the console.
      retryOptions: { disableRetry: true },
    } as Minio.ClientOptions)
    this.#scheme = conn.use_ssl ? 'https' : 'http'
    this.#signer = new SigV4Signer(conn.access_key, conn.secret_key, this.region)
  }

  /**
   * A SigV4-signed request; `path` (/bucket/key, already encoded) may carry a query. It is sent
   * exactly as signed (origin + path, no URL normalisation on the way); with virtual-host
   * addressing the bucket moves into the host name (bucket.host/key).
   */
  async signed(
    method: 'GET' | 'PUT' | 'HEAD' | 'DELETE' | 'POST',
    path: string,
    opts: {
      headers?: Record<string, string>
      body?: Readable | string | Buffer | AsyncIterable<Buffer>
      payloadHash?: string
      signal?: AbortSignal
      /** A long-lived answer (event stream): no limit between body chunks. */
      stream?: boolean
    } = {},
  ): Promise<Dispatcher.ResponseData> {
    assertNoTransaction('a storage call')
    // Send the query in the order the signature covers it: minio-js's signer sorts the
    // parameters, and MinIO canonicalises repeated keys in the order they were sent.
    const [full, query] = path.split('?') as [string, string | undefined]
    let resource = full
    let host = this.conn.endpoint
    const bucket = this.virtualHosted ? /^\/([^/]+)(\/.*)?$/.exec(resource) : null
    if (bucket) {
      host = `${bucket[1]}.${host}`
      resource = bucket[2] ?? '/'
    }
    path = query ? `${resource}?${query.split('&').sort().join('&')}` : resource
    const date = new Date()
    const payloadHash =
      opts.payloadHash ??
      (typeof opts.body === 'string'
        ? createHash('sha256').update(opts.body).digest('hex')
        : EMPTY_SHA256)
    const headers: Record<string, string> = {
      ...opts.headers,
      host,
      'x-amz-date': amzDate(date),
      'x-amz-content-sha256': payloadHash,
    }
    headers.authorization = this.#signer.authorization({ method, path, headers }, date, payloadHash)
    try {
      const options = {
        origin: `${this.#scheme}://${host}`,
        path,
        method,
        headers,
        body: opts.body ?? null,
        ...(opts.signal ? { signal: opts.signal } : {}),
      } as Dispatcher.RequestOptions
      return await dispatcherFor(this.timeoutMs, opts.stream === true, this.#lookup).request(
        options,
      )
    } catch (err) {
      throw classify(err, `${method} ${host}${resource}`)
    }
  }

  /**
   * A pre-signed URL for one request on one object — a GET, a PUT, or a step of a multipart
   * upload (`query`: partNumber/uploadId) — that whoever holds it may send for `expiresSeconds`,
   * without FaDO's credentials and without FaDO in the path. `endpoint`: the host:port the holder
   * reaches this server at, when not FaDO's (an agent inside the cluster); `headers`: headers it
   * must send as given (signed: a copy's metadata, the snowball marker).
   */
  presignedUrl(
    method: 'GET' | 'PUT' | 'POST' | 'DELETE',
    bucket: string,
    key: string,
    expiresSeconds: number,
    opts: { query?: string; endpoint?: string; headers?: Record<string, string> } = {},
  ): string {
    let host = opts.endpoint ?? this.conn.endpoint
    let path = `/${encodeKey(bucket)}/${encodeKey(key)}`
    if (this.virtualHosted) {
      host = `${bucket}.${host}`
      path = `/${encodeKey(key)}`
    }
    if (opts.query) path += `?${opts.query}`
    const req = { method, path, host, ...(opts.headers ? { headers: opts.headers } : {}) }
    return `${this.#scheme}://${host}${this.#signer.presign(req, new Date(), expiresSeconds)}`
  }

  /** Pre-signed URLs for the parts, completion and abort of a started multipart upload. */
  presignedMultipart(
    bucket: string,
    key: string,
    upload: { uploadId: string; size: number },
    expiresSeconds: number,
    endpoint?: string,
  ): PresignedMultipart {
    const query = `uploadId=${encodeRfc3986(upload.uploadId)}`
    const partBytes = partBytesFor(upload.size, this.multipart.partBytes)
    const sign = (method: 'PUT' | 'POST' | 'DELETE', q: string) =>
      this.presignedUrl(method, bucket, key, expiresSeconds, {
        query: q,
        ...(endpoint === undefined ? {} : { endpoint }),
      })
    return {
      upload_id: upload.uploadId,
      part_bytes: partBytes,
      parts: Array.from({ length: Math.ceil(upload.size / partBytes) }, (_, i) => ({
        part_number: i + 1,
        url: sign('PUT', `partNumber=${i + 1}&${query}`),
      })),
      complete_url: sign('POST', query),
      abort_url: sign('DELETE', query),
    }
  }

  /** Starts a multipart upload of `key` (its parts and completion may then be pre-signed). */
  async startMultipart(
    bucket: string,
    key: string,
    contentType: string,
    metadata: Record<string, string> = {},
  ): Promise<string> {
    const headers: Record<string, string> = { 'content-type': contentType }
    for (const [k, v] of Object.entries(metadata)) headers[`x-amz-meta-${k}`] = v
    return startUpload(
      this,
      `/${encodeKey(bucket)}/${encodeKey(key)}`,
      `start a multipart upload of ${bucket}/${key}`,
      headers,
    )
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
      await this.client.makeBucket(bucket, this.region)
    } catch (err) {
      const code = (err as { code?: string }).code
      if (code === 'BucketAlreadyOwnedByYou') return
      throw classify(err, `create bucket ${bucket}`)
    }
  }

  /**
   * Removes the bucket with everything in it; a bucket that is already gone is fine. MinIO does it
   * in one call (x-minio-force-delete); other servers refuse a non-empty bucket, so its objects
   * are deleted first, 1,000 per request (DeleteObjects).
   */
  async removeBucket(bucket: string): Promise<void> {
    if (!this.capabilities.forceDelete) await this.#emptyBucket(bucket)
    const res = await this.signed('DELETE', `/${encodeKey(bucket)}`, {
      headers: { 'x-minio-force-delete': 'true' },
    })
    const text = await answerText(res, `remove bucket ${bucket}`)
    if (res.statusCode === 204 || res.statusCode === 200 || text.includes('NoSuchBucket')) return
    throw new StorageError(
      `remove bucket ${bucket}: status ${res.statusCode} ${/<Code>(\w+)/.exec(text)?.[1] ?? ''}`,
      'failed',
    )
  }

  async #emptyBucket(bucket: string): Promise<void> {
    if (!(await this.bucketExists(bucket))) return
    let batch: string[] = []
    const flush = async () => {
      const names = batch
      batch = []
      try {
        const results = (await this.client.removeObjects(bucket, names)) as { Code?: string }[]
        const failed = results.find((r) => r?.Code && r.Code !== 'NoSuchKey')
        if (failed) throw Object.assign(new Error(failed.Code), { code: failed.Code })
      } catch (err) {
        throw classify(err, `empty bucket ${bucket}`)
      }
    }
    for await (const entry of this.listObjects(bucket)) {
      batch.push(entry.key)
      if (batch.length === 1000) await flush()
    }
    if (batch.length > 0) await flush()
  }

  /**
   * Every object of the bucket in S3 key order (ListObjectsV2, 1,000 a page), or those after
   * `startAfter`. The next page is asked for while this one is handed out, so the listing's round
   * trips overlap the work on it.
   */
  async *listObjects(bucket: string, startAfter = ''): AsyncGenerator<ObjectEntry> {
    for await (const page of this.listPages(bucket, startAfter)) yield* page
  }

  /** The same listing a page at a time (a full pass compares it page by page). */
  async *listPages(bucket: string, startAfter = ''): AsyncGenerator<ObjectEntry[]> {
    const what = `list ${bucket} on ${this.conn.endpoint}`
    const ask = (from: { startAfter?: string; token?: string }) => {
      const page = this.#listPage(bucket, from, what)
      page.catch(() => {}) // a page asked for ahead and never awaited (the reader stopped) is dropped
      return page
    }
    let next: Promise<ListPage> | undefined = ask({ startAfter })
    while (next) {
      const page: ListPage = await next
      next = page.nextToken === undefined ? undefined : ask({ token: page.nextToken })
      yield page.entries
    }
  }

  /** One page of ListObjectsV2, keys URL-encoded on the wire (no XML escaping to trip on). */
  async #listPage(
    bucket: string,
    from: { startAfter?: string; token?: string },
    what: string,
  ): Promise<ListPage> {
    const query = ['list-type=2', 'encoding-type=url', 'max-keys=1000']
    if (from.token !== undefined) query.push(`continuation-token=${encodeRfc3986(from.token)}`)
    else if (from.startAfter) query.push(`start-after=${encodeRfc3986(from.startAfter)}`)
    const res = await this.signed('GET', `/${encodeKey(bucket)}?${query.join('&')}`)
    const text = await answerText(res, what)
    if (res.statusCode !== 200) throw s3Failure(what, res.statusCode, text)
    await giveWay() // parsing a page takes milliseconds: ready requests go first
    try {
      return parseListPage(text)
    } catch (err) {
      throw new StorageError(`${what}: ${(err as Error).message}`, 'failed', { cause: err })
    }
  }

  async stat(
    bucket: string,
    key: string,
  ): Promise<(ObjectEntry & { metadata: Record<string, string> }) | undefined> {
    encodeKey(key)
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
      const what = `get ${bucket}/${key}`
      throw s3Failure(what, res.statusCode, await answerText(res, what))
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

  /**
   * Streams `body` (exactly `size` bytes) into one object; returns its ETag. Larger than the
   * multipart threshold (S3's 5 GiB single-PUT limit by default), it goes as a multipart upload.
   */
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
    const path = `/${encodeKey(bucket)}/${encodeKey(key)}`
    const what = `put ${bucket}/${key}`
    if (size > this.multipart.thresholdBytes)
      return putMultipart(this, (...a) => this.#putBody(...a), path, what, body, size, headers)
    const res = await this.#putBody(path, headers, body, what)
    return stripQuotes(String(res.headers.etag ?? ''))
  }

  /** One PUT of a streamed body, failed when the storage stops taking bytes; its 200 answer. */
  async #putBody(
    path: string,
    headers: Record<string, string>,
    body: AsyncIterable<Buffer>,
    what: string,
  ): Promise<Dispatcher.ResponseData> {
    const abort = new AbortController()
    let stalled: Error | undefined
    let res: Dispatcher.ResponseData
    try {
      res = await this.signed('PUT', path, {
        headers,
        body: stallGuarded(body, this.timeoutMs, (err) => {
          stalled = err
          abort.abort(err)
        }),
        payloadHash: 'UNSIGNED-PAYLOAD',
        signal: abort.signal,
      })
    } catch (err) {
      throw classify(stalled ?? err, what)
    }
    const text = await answerText(res, what)
    if (res.statusCode !== 200) throw s3Failure(what, res.statusCode, text)
    return res
  }

  /**
   * Writes every entry of a tar archive (tar.ts) as an object of its own, in one request: MinIO's
   * snowball upload. The archive itself is not stored.
   */
  async putArchive(bucket: string, archive: Buffer): Promise<void> {
    await this.putObject(
      bucket,
      `fado-batch-${Date.now()}.tar`,
      Readable.from([archive]),
      archive.length,
      { contentType: 'application/x-tar', metadata: SNOWBALL },
    )
  }

  async removeObject(bucket: string, key: string): Promise<void> {
    encodeKey(key)
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
