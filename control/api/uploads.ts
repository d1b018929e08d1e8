/**
 * Upload bodies, bounded and cleaned up on every path. A multipart form (the admin page's
 * `bucket` + `file`) or a raw body without a length is spooled to a private file in the spool
 * folder, because S3 needs the size before the first byte; the file is removed and its
 * descriptor closed whether the upload succeeds, fails, is too large or the client hangs up.
 * A body over the limit is a 413; a client that goes away is a ClientGoneError, not an outage.
 */
import { randomUUID } from 'node:crypto'
import fs from 'node:fs'
import type { IncomingMessage } from 'node:http'
import path from 'node:path'
import { PassThrough, Readable, Transform, type TransformCallback } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { ReadableStream as WebReadableStream } from 'node:stream/web'
import busboy from 'busboy'
import type { Context } from 'hono'
import { ClientGoneError, FadoError, invalidField, tooLarge } from '../lib/errors.js'

export interface UploadLimits {
  /** Largest object accepted (bytes). */
  maxObjectSize: number
  /** Folder for spool files (private to FaDO's user). */
  spoolDir: string
}

/** The request body as a Node stream, and a way to tell that its client went away. */
export interface RequestBody {
  stream: Readable
  /** True when the client hung up before the body was complete. */
  aborted(): boolean
}

export function requestBody(c: Context): RequestBody {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming
  if (incoming) {
    // The client's connection, not the request stream: a failing storage PUT destroys the
    // stream it was reading, and that client is still there to be told so (502/504, not 499).
    return {
      stream: incoming,
      aborted: () => !incoming.complete && (incoming.socket?.destroyed ?? true),
    }
  }
  const body = c.req.raw.body
  const stream = body ? Readable.fromWeb(body as WebReadableStream) : Readable.from([])
  return { stream, aborted: () => c.req.raw.signal.aborted }
}

/**
 * The body as a storage PUT reads it, shielded from it: undici destroys the stream it reads when
 * the storage fails mid-body, and destroying the request stream itself would destroy the client's
 * socket too — the client, still there, would get no answer (or a 499). A client that goes away
 * still ends the shielded stream with a ClientGoneError.
 */
export function shieldedStream(body: RequestBody): Readable {
  const source = body.stream
  const shield = new PassThrough()
  const gone = () => shield.destroy(new ClientGoneError())
  const onError = (err: Error) => shield.destroy(body.aborted() ? new ClientGoneError(err) : err)
  const onClose = () => {
    if (body.aborted()) gone()
  }
  source.on('error', onError)
  source.on('close', onClose)
  shield.once('close', () => {
    source.off('error', onError)
    source.off('close', onClose)
    source.unpipe(shield)
  })
  if (source.destroyed) queueMicrotask(gone)
  else source.pipe(shield)
  return shield
}

/** Counts bytes through; fails with a 413 past `limit`. */
class Limit extends Transform {
  bytes = 0
  constructor(
    private readonly limit: number,
    private readonly field: string,
  ) {
    super()
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length
    if (this.bytes > this.limit) done(tooLarge(this.field, this.limit))
    else done(null, chunk)
  }
}

export interface Spooled {
  file: string
  size: number
  /** Removes the file (its descriptor is closed by then). Safe to call twice. */
  dispose(): void
}

export interface SpooledForm extends Spooled {
  filename: string
  contentType: string
  fields: Record<string, string>
}

/**
 * Feeds the request body into `sink` (and what follows it), without handing the request stream to
 * pipeline(): a failure here (413, malformed form) must leave the connection up for the answer;
 * the HTTP layer drains or closes it afterwards.
 */
function feed(body: RequestBody, sink: (NodeJS.WritableStream & Readable) | busboy.Busboy): void {
  const source = body.stream
  const onSourceError = (err: Error) => (sink as Readable).destroy(new ClientGoneError(err))
  const onClose = () => {
    if (body.aborted()) (sink as Readable).destroy(new ClientGoneError())
  }
  // The client may have hung up before the handler got here (auth, a database read): its
  // 'close' has fired already and would never reach the listeners below.
  if (source.destroyed) {
    queueMicrotask(() => (sink as Readable).destroy(new ClientGoneError()))
    return
  }
  source.on('error', onSourceError)
  source.on('close', onClose)
  ;(sink as Readable).once('close', () => {
    source.off('error', onSourceError)
    source.off('close', onClose)
    source.unpipe(sink as NodeJS.WritableStream)
  })
  source.pipe(sink as NodeJS.WritableStream)
}

function newSpoolFile(dir: string): string {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 })
  return path.join(dir, `${randomUUID()}.upload`)
}

/**
 * Opens the spool file at once (not lazily, as createWriteStream would): a dispose() racing a
 * lazy open would unlink before the file exists and leave it behind.
 */
function openSpool(file: string): fs.WriteStream {
  return fs.createWriteStream(file, { fd: fs.openSync(file, 'wx', 0o600) })
}

/** Turns a failure while reading a body into the error to answer with. */
function readFailure(err: unknown, body: RequestBody): unknown {
  if (err instanceof FadoError) return err
  if (body.aborted()) return new ClientGoneError(err)
  const code = (err as { code?: string }).code
  if (code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE')
    return new ClientGoneError(err)
  return err
}

/** A raw body of unknown length, to a spool file. */
export async function spoolBody(body: RequestBody, limits: UploadLimits): Promise<Spooled> {
  const file = newSpoolFile(limits.spoolDir)
  const out = openSpool(file)
  const limit = new Limit(limits.maxObjectSize, 'body')
  const dispose = () => {
    out.destroy()
    fs.rmSync(file, { force: true })
  }
  try {
    feed(body, limit)
    await pipeline(limit, out)
  } catch (err) {
    dispose()
    throw readFailure(err, body)
  }
  return { file, size: limit.bytes, dispose }
}

/** A multipart form with one file field `file` and a few text fields, the file spooled. */
export async function spoolForm(
  c: Context,
  body: RequestBody,
  limits: UploadLimits,
): Promise<SpooledForm> {
  const type = c.req.header('content-type') ?? ''
  if (!/^multipart\/form-data;/i.test(type))
    throw invalidField('body', 'must be multipart/form-data with fields bucket and file')
  let parser: busboy.Busboy
  try {
    parser = busboy({
      headers: { 'content-type': type },
      preservePath: true,
      limits: { files: 1, fields: 10, parts: 20, fieldSize: 4096 },
    })
  } catch (err) {
    throw invalidField('body', `malformed multipart form: ${(err as Error).message}`)
  }
  const file = newSpoolFile(limits.spoolDir)
  const streams: (fs.WriteStream | Readable)[] = []
  const dispose = () => {
    for (const s of streams) s.destroy()
    fs.rmSync(file, { force: true })
  }
  const fields: Record<string, string> = {}
  let spooled: Promise<void> | undefined
  let limit: Limit | undefined
  let info: busboy.FileInfo | undefined
  parser.on('field', (key, value, meta) => {
    if (meta.valueTruncated) parser.emit('error', invalidField(key, 'is too long'))
    else fields[key] = value
  })
  parser.on('file', (field, stream, fileInfo) => {
    streams.push(stream)
    if (field !== 'file' || spooled) {
      stream.resume()
      return
    }
    info = fileInfo
    limit = new Limit(limits.maxObjectSize, 'file')
    const out = openSpool(file)
    streams.push(out)
    spooled = pipeline(stream, limit, out)
    // A failure here also fails the whole parse below.
    spooled.catch((err: unknown) => parser.destroy(err as Error))
  })
  try {
    await new Promise<void>((resolve, reject) => {
      parser.on('error', reject)
      parser.on('close', resolve)
      feed(body, parser)
    })
    if (!spooled || !limit || !info) throw invalidField('file', 'is missing')
    await spooled
  } catch (err) {
    dispose()
    parser.destroy()
    const failure = readFailure(err, body)
    if (failure === err && !(err instanceof FadoError)) {
      throw invalidField('body', `malformed multipart form: ${(err as Error).message}`)
    }
    throw failure
  }
  return {
    file,
    size: limit.bytes,
    filename: info.filename ?? '',
    contentType: info.mimeType || 'application/octet-stream',
    fields,
    dispose,
  }
}
