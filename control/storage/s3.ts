/**
 * The storage adaptor: one S3 server, with only the calls FaDO uses — identity, buckets, object
 * list/stat/get/put/delete (streamed), and what the kind adds (CAPABILITIES): 'minio' has an admin
 * API, pushes changes and takes batched uploads; 's3' is any S3-compatible server, plain S3 calls
 * only. Everything above it (planner, reconciler, API, routing) asks capabilities, never the kind.
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
import { createHash, randomUUID } from 'node:crypto'
import http from 'node:http'
import type { LookupFunction } from 'node:net'
import https from 'node:https'
import { Readable } from 'node:stream'
import * as Minio from 'minio'
import { Agent, errors as undiciErrors, type Dispatcher } from 'undici'
import { assertNoTransaction } from '../transaction-scope.js'
import { encryptAdminBody } from './madmin.js'
import { withFadoRule, withoutFadoRule, type NotificationRule } from './notification-rules.js'
import { amzDate, SigV4Signer } from './sigv4.js'

/** 'minio': MinIO with its extras (admin API, webhooks, event stream, snowball); 's3': any S3 server. */
export type StorageKind = 'minio' | 's3'
export const STORAGE_KINDS = ['minio', 's3'] as const
/** 'path': host/bucket/key; 'virtual': bucket.host/key. */
export type StorageAddressing = 'path' | 'virtual'
export const STORAGE_ADDRESSING = ['path', 'virtual'] as const
/**
 * What a storage adaptor offers beyond plain S3. Code above the adaptor asks these, never the kind.
 */
export interface StorageCapabilities {
  /** An admin API: the server's own identity, its configuration, webhook targets. */
  adminApi: boolean
  /** Pushes its changes (webhook targets, the listen event stream); without, FaDO lists masters. */
  changeEvents: boolean
  /** Takes many small objects in one upload (snowball). */
  batchUploads: boolean
  /** Deletes a non-empty bucket in one call (x-minio-force-delete). */
  forceDelete: boolean
}

export const CAPABILITIES: Record<StorageKind, StorageCapabilities> = {
  minio: { adminApi: true, changeEvents: true, batchUploads: true, forceDelete: true },
  s3: { adminApi: false, changeEvents: false, batchUploads: false, forceDelete: false },
}

/** Where FaDO keeps a server's identity marker (an object; see S3Storage.identify). */
export const IDENTITY_BUCKET = 'fado-identity'
const IDENTITY_KEY = 'deployment-id'

/** The region requests are signed for unless a deployment says otherwise. */
export const DEFAULT_REGION = 'us-east-1'

export interface StorageConnection {
  endpoint: string
  use_ssl: boolean
  access_key: string
  secret_key: string
  /** Default 'minio'. */
  kind?: StorageKind | undefined
  /** Default us-east-1. */
  region?: string | undefined
  /** Default 'path'. */
  addressing?: StorageAddressing | undefined
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

export type StorageErrorKind =
  'unreachable' | 'timeout' | 'credentials' | 'permission' | 'not_found' | 'invalid_key' | 'failed'

export class StorageError extends Error {
  constructor(
    message: string,
    readonly kind: StorageErrorKind,
    options?: { cause?: unknown },
  ) {
    super(message, options)
    this.name = 'StorageError'
  }
}

const EMPTY_SHA256 = createHash('sha256').update('').digest('hex')
/** When a deployment is made without one (see --storage-timeout). */
export const DEFAULT_STORAGE_TIMEOUT_MS = 10_000

/**
 * Pooled connections per timeout setting (and host resolver, when one is given), shared by every
 * deployment with that setting.
 */
const dispatchers = new Map<string, Agent>()
const resolverIds = new WeakMap<LookupFunction, number>()
let resolvers = 0
function dispatcherFor(timeoutMs: number, streaming: boolean, lookup?: LookupFunction): Agent {
  if (lookup && !resolverIds.has(lookup)) resolverIds.set(lookup, ++resolvers)
  const id = `${timeoutMs}:${streaming}:${lookup ? resolverIds.get(lookup) : 0}`
  let agent = dispatchers.get(id)
  if (!agent) {
    agent = new Agent({
      connect: { timeout: timeoutMs, ...(lookup ? { lookup } : {}) },
      // An event stream may stay silent for long — MinIO sends even its headers only when it
      // flushes its first batch of records — so only connecting is bounded there.
      headersTimeout: streaming ? 0 : timeoutMs,
      bodyTimeout: streaming ? 0 : timeoutMs,
      keepAliveTimeout: 10_000,
    })
    dispatchers.set(id, agent)
  }
  return agent
}

/** Thrown by the minio-js transport when a socket stays silent past the timeout. */
class SocketTimeout extends Error {
  readonly code = 'FADO_STORAGE_TIMEOUT'
  constructor(ms: number) {
    super(`no answer within ${ms} ms`)
  }
}

/**
 * minio-js's transport: node:http(s) with a socket inactivity limit (connecting included) that
 * destroys the request, and the transaction guard. minio-js has no timeout of its own.
 */
function timedTransport(useSsl: boolean, timeoutMs: number, lookup?: LookupFunction) {
  const base = useSsl ? https : http
  return {
    request(options: http.RequestOptions, callback?: (res: http.IncomingMessage) => void) {
      assertNoTransaction('a storage call')
      const req = base.request(lookup ? { ...options, lookup } : options, callback)
      req.setTimeout(timeoutMs, () => req.destroy(new SocketTimeout(timeoutMs)))
      return req
    },
  }
}

/**
 * A request body for undici that fails the upload when the storage stops taking bytes for
 * `timeoutMs` while bytes are waiting (a stalled server); a slow sender is not a stall.
 */
function stallGuarded(
  body: AsyncIterable<Buffer>,
  timeoutMs: number,
  abort: (err: Error) => void,
): AsyncIterable<Buffer> {
  let waitingOnStorage = false
  let since = Date.now()
  const timer = setInterval(
    () => {
      if (waitingOnStorage && Date.now() - since > timeoutMs)
        abort(new StorageError(`the storage took no data for ${timeoutMs} ms`, 'timeout'))
    },
    Math.max(50, Math.min(1000, timeoutMs / 4)),
  )
  timer.unref()
  return (async function* () {
    try {
      for await (const chunk of body) {
        waitingOnStorage = true
        since = Date.now()
        yield chunk as Buffer
        waitingOnStorage = false
      }
    } finally {
      clearInterval(timer)
    }
  })()
}

/** RFC 3986 percent-encoding as SigV4 wants it (encodeURIComponent leaves !'()* alone). */
export function encodeRfc3986(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  )
}

/**
 * S3 canonical URI: every path segment percent-encoded per RFC 3986, '/' kept. A '.' or '..'
 * segment is refused: URL handling on either side may resolve it after signing and address
 * another object or bucket (a key 'x/../../other-bucket/k').
 */
export function encodeKey(key: string): string {
  const segments = key.split('/')
  if (segments.some((s) => s === '.' || s === '..')) {
    throw new StorageError(
      `object key ${JSON.stringify(key)} has a '.' or '..' segment, which S3 URLs cannot carry safely`,
      'invalid_key',
    )
  }
  return segments.map(encodeRfc3986).join('/')
}

const stripQuotes = (etag: string): string => etag.replace(/^"|"$/g, '')

const CONNECT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'EPIPE',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
])

const TIMEOUT_CODES = new Set([
  'ETIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'FADO_STORAGE_TIMEOUT',
])

/** Node's codes for a TLS certificate it does not accept. */
const CERTIFICATE_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
])

/** Maps SDK / network errors to a StorageError with a reason a user can act on. */
export function classify(err: unknown, what: string): StorageError {
  if (err instanceof StorageError) {
    return err.message.startsWith(what)
      ? err
      : new StorageError(`${what}: ${err.message}`, err.kind, { cause: err })
  }
  const e = err as {
    code?: string
    name?: string
    cause?: { code?: string; name?: string }
    message?: string
  }
  const code = e.code ?? e.cause?.code ?? ''
  if (
    TIMEOUT_CODES.has(code) ||
    e.name === 'TimeoutError' ||
    e.cause?.name === 'TimeoutError' ||
    err instanceof undiciErrors.HeadersTimeoutError ||
    err instanceof undiciErrors.BodyTimeoutError ||
    err instanceof undiciErrors.ConnectTimeoutError
  ) {
    return new StorageError(
      `${what}: storage did not answer in time (${code || e.message || 'timeout'})`,
      'timeout',
      { cause: err },
    )
  }
  if (CERTIFICATE_CODES.has(code)) {
    return new StorageError(
      `${what}: the storage's TLS certificate is not trusted (${code}); give FaDO its CA with NODE_EXTRA_CA_CERTS`,
      'unreachable',
      { cause: err },
    )
  }
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

export interface StorageOptions {
  /** Per-call limit to connect, to get an answer, and between body chunks. */
  timeoutMs?: number
  /** Objects larger than this are written as multipart uploads (default 5 GiB). */
  multipartThresholdBytes?: number
  /**
   * How host names resolve (default: the system's). Tests give one to stand in for wildcard DNS
   * (bucket.localhost), which this machine's resolver does not answer.
   */
  lookup?: LookupFunction
}

/** S3's single-PUT limit, and the most parts one multipart upload may have. */
export const MULTIPART_THRESHOLD = 5 * 1024 ** 3
const MAX_PARTS = 10_000
const MIN_PART = 5 * 1024 * 1024
const MAX_PART = 512 * 1024 * 1024

/** XML character references as S3 servers write them in answers (&quot; or &#34; for a quote). */
const xmlUnescape = (text: string): string =>
  text.replace(/&(quot|amp|apos|lt|gt|#\d+|#x[0-9a-f]+);/gi, (_, ref: string) => {
    const named: Record<string, string> = { quot: '"', amp: '&', apos: "'", lt: '<', gt: '>' }
    if (ref[0] !== '#') return named[ref.toLowerCase()] ?? ''
    return String.fromCodePoint(
      ref[1]?.toLowerCase() === 'x' ? parseInt(ref.slice(2), 16) : Number(ref.slice(1)),
    )
  })

/** An S3 error answer as a StorageError (its <Code>, else the status). */
function s3Failure(what: string, status: number, text: string): StorageError {
  const code = /<Code>(\w+)<\/Code>/.exec(text)?.[1] ?? `status ${status}`
  return classify(Object.assign(new Error(code), { code }), what)
}

/**
 * Cuts a stream of `size` bytes into consecutive parts of `partBytes` (the last holds the rest),
 * each an iterable of the stream's own chunks, split where a part ends. Each part must be read to
 * its end before the next is asked for.
 */
export async function* exactParts(
  body: AsyncIterable<Buffer>,
  size: number,
  partBytes: number,
): AsyncGenerator<{ bytes: number; chunks: AsyncIterable<Buffer> }> {
  const it = body[Symbol.asyncIterator]()
  let carry: Buffer | undefined
  for (let left = size; left > 0;) {
    const bytes = Math.min(partBytes, left)
    left -= bytes
    let need = bytes
    const chunks = (async function* () {
      while (need > 0) {
        let chunk = carry
        carry = undefined
        if (!chunk) {
          const next = await it.next()
          if (next.done)
            throw new StorageError(`the source ended ${need} bytes short of its size`, 'failed')
          chunk = next.value
        }
        if (chunk.length > need) {
          carry = chunk.subarray(need)
          chunk = chunk.subarray(0, need)
        }
        need -= chunk.length
        yield chunk
      }
    })()
    yield { bytes, chunks }
    if (need > 0) throw new Error('a part was not read to its end')
  }
}

/** MinIO's snowball upload: a PUT of a tar, extracted by the server into one object per entry. */
const SNOWBALL = { 'snowball-auto-extract': 'true' }

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
   * Who this server is, so one server tracked twice is recognised — also once as 'minio' and once
   * as 's3' under another address. `deploymentId` is what FaDO records; `identities` are every name
   * the server goes by, to compare with what is tracked already:
   * - with an admin API: its own deployment id, and the marker object (see below) — written with
   *   that id if there is none, so a later 's3' tracking of the same server finds it (a marker
   *   left by an earlier 's3' tracking is one more name; claimMarker replaces it once tracked);
   * - without: the marker, an object FaDO writes in a bucket of its own on first tracking
   *   (`fado-s3-<uuid>`), read back.
   */
  async identify(): Promise<{ deploymentId: string; identities: string[]; sqsArns: string[] }> {
    if (this.capabilities.adminApi) {
      const info = await this.serverInfo()
      const marker = await this.#marker(info.deploymentId)
      return { ...info, identities: [...new Set([info.deploymentId, marker])] }
    }
    const marker = await this.#marker(`fado-s3-${randomUUID()}`)
    return { deploymentId: marker, identities: [marker], sqsArns: [] }
  }

  /** Makes the identity marker say `id`. */
  async claimMarker(id: string): Promise<void> {
    if (!(await this.bucketExists(IDENTITY_BUCKET))) await this.makeBucket(IDENTITY_BUCKET)
    const text = Buffer.from(id)
    await this.putObject(IDENTITY_BUCKET, IDENTITY_KEY, Readable.from([text]), text.length, {
      contentType: 'text/plain',
    })
  }

  /** The identity marker's text; `fresh` is written first when there is none. */
  async #marker(fresh: string): Promise<string> {
    if (
      !(await this.bucketExists(IDENTITY_BUCKET)) ||
      !(await this.stat(IDENTITY_BUCKET, IDENTITY_KEY))
    )
      await this.claimMarker(fresh)
    const { body } = await this.getObject(IDENTITY_BUCKET, IDENTITY_KEY)
    let text = ''
    for await (const chunk of body) text += String(chunk)
    return text.trim()
  }

  /**
   * A call to MinIO's admin API; its answer text. A refusal says whether the credentials are wrong
   * or lack the admin right `right`.
   */
  async #admin(
    method: 'GET' | 'PUT' | 'POST',
    path: string,
    what: string,
    right: string,
    body?: Buffer,
  ): Promise<string> {
    const res = await this.signed(method, `/minio/admin/v3/${path}`, {
      ...(body ? { body, payloadHash: createHash('sha256').update(body).digest('hex') } : {}),
    })
    const text = await this.#text(res, what)
    if (res.statusCode === 403 || res.statusCode === 401) {
      const code = /<Code>(\w+)<\/Code>|"Code":"(\w+)"/.exec(text)
      const reason = code?.[1] ?? code?.[2] ?? ''
      if (reason === 'InvalidAccessKeyId' || reason === 'SignatureDoesNotMatch') {
        throw new StorageError(`storage rejected the credentials (${reason})`, 'credentials')
      }
      throw new StorageError(`these credentials may not ${what} (${right} is needed)`, 'permission')
    }
    if (res.statusCode !== 200) {
      const detail = /"Message":"([^"]*)"/.exec(text)?.[1] ?? ''
      throw new StorageError(
        `${what} failed with status ${res.statusCode} ${detail}`.trim(),
        'failed',
      )
    }
    return text
  }

  /**
   * Admin ServerInfo: the deployment id, and the ARNs of the notification targets configured on
   * the server (e.g. arn:minio:sqs::FADO:webhook). Needs admin credentials.
   */
  async serverInfo(): Promise<{ deploymentId: string; sqsArns: string[] }> {
    const text = await this.#admin('GET', 'info', 'read server info', 'admin:ServerInfo')
    const info = JSON.parse(text) as { deploymentID?: string; sqsARN?: string[] }
    if (!info.deploymentID)
      throw new StorageError('server info did not include a deployment id', 'failed')
    return { deploymentId: info.deploymentID, sqsArns: info.sqsARN ?? [] }
  }

  /**
   * Sets one line of MinIO's server configuration (`subsystem:target key=value …`), as
   * `mc admin config set` does: the body sealed with the secret key (madmin.ts).
   */
  async setConfig(line: string): Promise<void> {
    const body = encryptAdminBody(this.conn.secret_key, line)
    await this.#admin(
      'PUT',
      'set-config-kv',
      'change the server configuration',
      'admin:ConfigUpdate',
      body,
    )
  }

  /** Restarts the MinIO server (every node), as `mc admin service restart` does. */
  async restartServer(): Promise<void> {
    await this.#admin(
      'POST',
      'service?action=restart&type=2',
      'restart the server',
      'admin:ServiceRestart',
    )
  }

  /** The bucket's notification configuration, rule by rule. */
  async notificationRules(bucket: string): Promise<NotificationRule[]> {
    let config: Awaited<ReturnType<Minio.Client['getBucketNotification']>>
    try {
      config = await this.client.getBucketNotification(bucket)
    } catch (err) {
      throw classify(err, `read notifications of ${bucket}`)
    }
    type Raw = { Id?: string; Event?: string[]; Filter?: { Name: string; Value: string }[] }
    const rules = (kind: NotificationRule['kind'], list: unknown, arnOf: (r: never) => string) =>
      ((list ?? []) as Raw[]).map((r): NotificationRule => ({
        kind,
        id: r.Id || undefined,
        arn: arnOf(r as never),
        events: [...(r.Event ?? [])],
        filter: (r.Filter ?? []).map((f) => ({ name: f.Name, value: f.Value })),
      }))
    return [
      ...rules('queue', config.QueueConfiguration, (r: { Queue: string }) => r.Queue),
      ...rules('topic', config.TopicConfiguration, (r: { Topic: string }) => r.Topic),
      ...rules(
        'lambda',
        config.CloudFunctionConfiguration,
        (r: { CloudFunction: string }) => r.CloudFunction,
      ),
    ]
  }

  /** Replaces the bucket's notification configuration with these rules. */
  async setNotificationRules(bucket: string, rules: readonly NotificationRule[]): Promise<void> {
    const config = new Minio.NotificationConfig()
    for (const rule of rules) {
      const target =
        rule.kind === 'queue'
          ? new Minio.QueueConfig(rule.arn)
          : rule.kind === 'topic'
            ? new Minio.TopicConfig(rule.arn)
            : new Minio.CloudFunctionConfig(rule.arn)
      if (rule.id) target.setId(rule.id)
      for (const event of rule.events) target.addEvent(event)
      for (const f of rule.filter)
        if (f.name.toLowerCase() === 'prefix') target.addFilterPrefix(f.value)
        else target.addFilterSuffix(f.value)
      config.add(target)
    }
    try {
      await this.client.setBucketNotification(bucket, config)
    } catch (err) {
      throw classify(err, `set notifications on ${bucket}`)
    }
  }

  /**
   * Makes the bucket send object created/removed events to FaDO's notification target `arn`,
   * beside whatever rules the bucket has of its owner's (read, merged, written back).
   */
  async notifyOnChanges(bucket: string, arn: string): Promise<void> {
    const merged = withFadoRule(await this.notificationRules(bucket), arn)
    if (merged) await this.setNotificationRules(bucket, merged)
  }

  /** Takes FaDO's rule out of the bucket's notification configuration; the rest stays. */
  async stopNotifying(bucket: string): Promise<void> {
    const rest = withoutFadoRule(await this.notificationRules(bucket))
    if (rest) await this.setNotificationRules(bucket, rest)
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
    const text = await this.#text(res, `remove bucket ${bucket}`)
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

  /** Every object in key order (pages fetched as they are read), or those after `startAfter`. */
  async *listObjects(bucket: string, startAfter = ''): AsyncGenerator<ObjectEntry> {
    try {
      const stream = this.client.listObjectsV2(bucket, '', true, startAfter)
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
      throw s3Failure(what, res.statusCode, await this.#text(res, what))
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
      return this.#putMultipart(path, what, body, size, headers)
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
    const text = await this.#text(res, what)
    if (res.statusCode !== 200) throw s3Failure(what, res.statusCode, text)
    return res
  }

  /**
   * Streams `body` (exactly `size` bytes) into one object as an S3 multipart upload, parts of
   * `partBytes` uploaded one after another straight from the stream (nothing buffered but the
   * chunk at hand); aborted on failure so the server keeps no parts. Returns the object's ETag.
   */
  async #putMultipart(
    path: string,
    what: string,
    body: Readable,
    size: number,
    headers: Record<string, string>,
  ): Promise<string> {
    const initHeaders = { ...headers }
    delete initHeaders['content-length']
    const init = await this.signed('POST', `${path}?uploads=`, { headers: initHeaders })
    const initText = await this.#text(init, what)
    const found = /<UploadId>([^<]+)<\/UploadId>/.exec(initText)?.[1]
    const uploadId = found === undefined ? undefined : xmlUnescape(found)
    if (init.statusCode !== 200 || !uploadId) throw s3Failure(what, init.statusCode, initText)
    const upload = `uploadId=${encodeRfc3986(uploadId)}`
    const partBytes = Math.max(this.multipart.partBytes, Math.ceil(size / MAX_PARTS))
    const etags: string[] = []
    try {
      let n = 0
      for await (const part of exactParts(body, size, partBytes)) {
        n++
        const res = await this.#putBody(
          `${path}?partNumber=${n}&${upload}`,
          { 'content-length': String(part.bytes) },
          part.chunks,
          `${what} (part ${n})`,
        )
        etags.push(String(res.headers.etag ?? ''))
      }
      const xml =
        '<CompleteMultipartUpload>' +
        etags
          .map((e, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${e}</ETag></Part>`)
          .join('') +
        '</CompleteMultipartUpload>'
      const done = await this.signed('POST', `${path}?${upload}`, {
        body: xml,
        headers: { 'content-type': 'application/xml' },
      })
      // A completion can fail after a 200: the error is then in the body.
      const text = await this.#text(done, what)
      const etag = /<ETag>([^<]+)<\/ETag>/.exec(text)?.[1]
      if (done.statusCode !== 200 || !etag) throw s3Failure(what, done.statusCode, text)
      return stripQuotes(xmlUnescape(etag))
    } catch (err) {
      await this.signed('DELETE', `${path}?${upload}`)
        .then((res) => res.body.dump())
        .catch(() => {})
      throw err
    }
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

  /** A whole (small) answer body; a body that stalls past the timeout is a 'timeout'. */
  async #text(res: Dispatcher.ResponseData, what: string): Promise<string> {
    try {
      return await res.body.text()
    } catch (err) {
      throw classify(err, what)
    }
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
