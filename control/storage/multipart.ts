/**
 * S3 multipart uploads for objects past the single-PUT limit: the stream cut into exact parts,
 * uploaded one after another (nothing buffered but the chunk at hand).
 */
import type { Readable } from 'node:stream'
import type { Dispatcher } from 'undici'
import { answerText, s3Failure, StorageError, xmlUnescape } from './errors.js'
import { encodeRfc3986, stripQuotes } from './transport.js'
import { completeMultipartXml } from '../../agent/s3-xml.js'

/** S3's single-PUT limit, and the most parts one multipart upload may have. */
export const MULTIPART_THRESHOLD = 5 * 1024 ** 3
export const MAX_PARTS = 10_000
export const MIN_PART = 5 * 1024 * 1024
export const MAX_PART = 512 * 1024 * 1024

/** The storage a multipart upload goes to (an S3Storage). */
export interface MultipartTarget {
  signed(
    method: 'POST' | 'DELETE',
    path: string,
    opts?: { headers?: Record<string, string>; body?: string },
  ): Promise<Dispatcher.ResponseData>
  multipart: { partBytes: number }
}

/** One PUT of a streamed body; its 200 answer (S3Storage's own). */
export type PutBody = (
  path: string,
  headers: Record<string, string>,
  body: AsyncIterable<Buffer>,
  what: string,
) => Promise<Dispatcher.ResponseData>

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

/** Bytes per part for an object of `size`: at least `partBytes`, at most MAX_PARTS parts. */
export const partBytesFor = (size: number, partBytes: number): number =>
  Math.max(partBytes, Math.ceil(size / MAX_PARTS))

/** Starts a multipart upload at `path` (/bucket/key, encoded): its upload id. */
export async function startUpload(
  s: MultipartTarget,
  path: string,
  what: string,
  headers: Record<string, string>,
): Promise<string> {
  const init = await s.signed('POST', `${path}?uploads=`, { headers })
  const text = await answerText(init, what)
  const found = /<UploadId>([^<]+)<\/UploadId>/.exec(text)?.[1]
  if (init.statusCode !== 200 || found === undefined) throw s3Failure(what, init.statusCode, text)
  return xmlUnescape(found)
}

/**
 * Streams `body` (exactly `size` bytes) into one object as an S3 multipart upload, parts of
 * `partBytes` uploaded one after another straight from the stream (nothing buffered but the
 * chunk at hand); aborted on failure so the server keeps no parts. Returns the object's ETag.
 */
export async function putMultipart(
  s: MultipartTarget,
  putBody: PutBody,
  path: string,
  what: string,
  body: Readable,
  size: number,
  headers: Record<string, string>,
): Promise<string> {
  const initHeaders = { ...headers }
  delete initHeaders['content-length']
  const uploadId = await startUpload(s, path, what, initHeaders)
  const upload = `uploadId=${encodeRfc3986(uploadId)}`
  const partBytes = partBytesFor(size, s.multipart.partBytes)
  const etags: string[] = []
  try {
    let n = 0
    for await (const part of exactParts(body, size, partBytes)) {
      n++
      const res = await putBody(
        `${path}?partNumber=${n}&${upload}`,
        { 'content-length': String(part.bytes) },
        part.chunks,
        `${what} (part ${n})`,
      )
      etags.push(String(res.headers.etag ?? ''))
    }
    const xml = completeMultipartXml(etags)
    const done = await s.signed('POST', `${path}?${upload}`, {
      body: xml,
      headers: { 'content-type': 'application/xml' },
    })
    // A completion can fail after a 200: the error is then in the body.
    const text = await answerText(done, what)
    const etag = /<ETag>([^<]+)<\/ETag>/.exec(text)?.[1]
    if (done.statusCode !== 200 || !etag) throw s3Failure(what, done.statusCode, text)
    return stripQuotes(xmlUnescape(etag))
  } catch (err) {
    await s
      .signed('DELETE', `${path}?${upload}`)
      .then((res) => res.body.dump())
      .catch(() => {})
    throw err
  }
}
