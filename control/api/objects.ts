/**
 * /api/objects: list, upload, download and delete objects (thesis §5.3.2). Writes go to the master
 * copy; replicas follow through the reconciler. Bodies are streamed both ways: a multipart upload
 * (the UI's form: `bucket`, `file`) is spooled to a temp file, never held in memory, so its size is
 * known for one streamed PUT; a raw PUT with Content-Length streams straight through. A download
 * falls back to a synced replica when the master cannot be reached.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { ReadableStream as WebReadableStream } from 'node:stream/web'
import busboy from 'busboy'
import { Hono, type Context } from 'hono'
import { getBucket, getBucketByName, type BucketRow } from '../db/buckets.js'
import {
  deleteObjectByName,
  getObject,
  getObjectByName,
  listObjects,
  upsertObject,
  type ObjectRow,
} from '../db/objects.js'
import { invalidField, notFound, storageFailed } from '../errors.js'
import type { ObjectStream } from '../storage/s3.js'
import type { ApiDeps } from './deps.js'
import { parseId } from './validate.js'

const MAX_KEY_BYTES = 1024

function checkKey(key: string, field: string): string {
  if (key.length === 0) throw invalidField(field, 'must name an object')
  if (Buffer.byteLength(key) > MAX_KEY_BYTES)
    throw invalidField(field, `must be at most ${MAX_KEY_BYTES} bytes`)
  if (key.includes('\u0000')) throw invalidField(field, 'must not contain NUL')
  return key
}

/** `bucket/key/with/slashes` → [bucket, key]. */
function splitPath(raw: string | undefined): [string, string] {
  const i = raw?.indexOf('/') ?? -1
  if (!raw || i <= 0) throw invalidField('path', "must be 'bucket/object-name'")
  return [raw.slice(0, i), checkKey(raw.slice(i + 1), 'path')]
}

interface Spooled {
  file: string
  size: number
  filename: string
  contentType: string
  fields: Record<string, string>
  cleanup(): void
}

/** Streams a multipart form to a temp file (one file field) and collects the text fields. */
async function spoolMultipart(c: Context): Promise<Spooled> {
  const type = c.req.header('content-type') ?? ''
  if (!type.startsWith('multipart/form-data'))
    throw invalidField('body', 'must be multipart/form-data with fields bucket and file')
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fado-upload-'))
  const cleanup = () => fs.rmSync(dir, { recursive: true, force: true })
  try {
    const result = await new Promise<Spooled>((resolve, reject) => {
      const fields: Record<string, string> = {}
      let spooled: Promise<{ size: number; filename: string; contentType: string }> | undefined
      const parser = busboy({
        headers: { 'content-type': type },
        preservePath: true,
        limits: { files: 1, fields: 10, fieldSize: 4096 },
      })
      parser.on('field', (key, value) => (fields[key] = value))
      parser.on('file', (field, stream, info) => {
        if (field !== 'file') {
          stream.resume()
          return
        }
        const target = path.join(dir, 'body')
        let size = 0
        stream.on('data', (chunk: Buffer) => (size += chunk.length))
        spooled = pipeline(stream, fs.createWriteStream(target)).then(() => ({
          size,
          filename: info.filename ?? '',
          contentType: info.mimeType || 'application/octet-stream',
        }))
      })
      parser.on('error', reject)
      parser.on('close', () => {
        if (!spooled) return reject(invalidField('file', 'is missing'))
        spooled.then(
          (s) => resolve({ ...s, file: path.join(dir, 'body'), fields, cleanup }),
          reject,
        )
      })
      const body = c.req.raw.body
      if (!body) return reject(invalidField('body', 'is empty'))
      Readable.fromWeb(body as WebReadableStream)
        .on('error', reject)
        .pipe(parser)
    })
    return result
  } catch (err) {
    cleanup()
    throw err
  }
}

export function objectsApi({ db, storages, reconciler }: ApiDeps): Hono {
  const bucketNamed = async (name: string, field: string): Promise<BucketRow> => {
    const bucket = await getBucketByName(db, name)
    if (!bucket) throw invalidField(field, `no bucket named '${name}'`)
    return bucket
  }

  /** Streams `body` into the master copy, records the object, and sends it on to replicas. */
  const store = async (
    bucket: BucketRow,
    key: string,
    body: Readable,
    size: number,
    contentType: string,
  ): Promise<ObjectRow> => {
    const master = await storages.get(bucket.storage_id)
    let etag: string
    try {
      etag = await master.putObject(bucket.name, key, body, size, { contentType })
    } catch (err) {
      body.destroy()
      throw storageFailed(`cannot store ${bucket.name}/${key}`, err)
    }
    const row = await upsertObject(db, {
      bucket_id: bucket.bucket_id,
      name: key,
      size,
      etag,
      last_modified: new Date(),
    })
    reconciler.schedule(bucket.bucket_id, [key])
    return row
  }

  /** Opens the object on the master, else on a synced replica. */
  const open = async (bucket: BucketRow, key: string): Promise<ObjectStream> => {
    const sources = [
      bucket.storage_id,
      ...bucket.replicas.filter((r) => r.status === 'synced').map((r) => r.storage_id),
    ]
    let firstError: unknown
    for (const storageId of sources) {
      try {
        return await (await storages.get(storageId)).getObject(bucket.name, key)
      } catch (err) {
        if ((err as { kind?: string }).kind === 'not_found')
          throw notFound('object', `${bucket.name}/${key}`)
        firstError ??= err
      }
    }
    throw storageFailed(`cannot read ${bucket.name}/${key}`, firstError)
  }

  const download = async (c: Context, bucket: BucketRow, key: string) => {
    const object = await open(bucket, key)
    const filename = key.slice(key.lastIndexOf('/') + 1)
    return new Response(Readable.toWeb(object.body) as ReadableStream, {
      headers: {
        'content-type': object.content_type,
        'content-length': String(object.size),
        etag: `"${object.etag}"`,
        'last-modified': object.last_modified.toUTCString(),
        'content-disposition': `attachment; filename*=UTF-8''${encodeURIComponent(filename)}`,
      },
    })
  }

  const remove = async (bucket: BucketRow, key: string) => {
    try {
      await (await storages.get(bucket.storage_id)).removeObject(bucket.name, key)
    } catch (err) {
      throw storageFailed(`cannot delete ${bucket.name}/${key}`, err)
    }
    await deleteObjectByName(db, bucket.bucket_id, key)
    reconciler.schedule(bucket.bucket_id, [key])
  }

  const byId = async (raw: string | undefined): Promise<[BucketRow, ObjectRow]> => {
    const objectId = parseId(raw, 'object_id')
    const object = await getObject(db, objectId)
    const bucket = object && (await getBucket(db, object.bucket_id))
    if (!object || !bucket) throw notFound('object', objectId)
    return [bucket, object]
  }

  return new Hono()
    .get('/', async (c) => {
      const objectPath = c.req.query('path')
      if (objectPath !== undefined) {
        const [bucketName, key] = splitPath(objectPath)
        const bucket = await getBucketByName(db, bucketName)
        if (!bucket) throw notFound('bucket', bucketName)
        return download(c, bucket, key)
      }
      const bucketName = c.req.query('bucket')
      if (bucketName !== undefined)
        return c.json(await listObjects(db, (await bucketNamed(bucketName, 'bucket')).bucket_id))
      return c.json(await listObjects(db))
    })
    .get('/:id', async (c) => {
      const [bucket, object] = await byId(c.req.param('id'))
      return download(c, bucket, object.name)
    })
    .post('/', async (c) => {
      const upload = await spoolMultipart(c)
      try {
        const bucket = await bucketNamed(upload.fields.bucket ?? '', 'bucket')
        const key = checkKey(
          upload.fields.name || upload.filename,
          upload.fields.name ? 'name' : 'file',
        )
        const row = await store(
          bucket,
          key,
          fs.createReadStream(upload.file),
          upload.size,
          upload.contentType,
        )
        return c.json(row, 201)
      } finally {
        upload.cleanup()
      }
    })
    .put('/', async (c) => {
      const [bucketName, key] = splitPath(c.req.query('path'))
      const bucket = await bucketNamed(bucketName, 'path')
      const contentType = c.req.header('content-type') || 'application/octet-stream'
      const length = c.req.header('content-length')
      const body = c.req.raw.body
        ? Readable.fromWeb(c.req.raw.body as WebReadableStream)
        : Readable.from([])
      const existed = await getObjectByName(db, bucket.bucket_id, key)
      if (length !== undefined && /^\d+$/.test(length)) {
        const row = await store(bucket, key, body, Number(length), contentType)
        return c.json(row, existed ? 200 : 201)
      }
      // No length (chunked): spool to disk first, S3 needs the size up front.
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fado-upload-'))
      try {
        const file = path.join(dir, 'body')
        await pipeline(body, fs.createWriteStream(file))
        const row = await store(
          bucket,
          key,
          fs.createReadStream(file),
          fs.statSync(file).size,
          contentType,
        )
        return c.json(row, existed ? 200 : 201)
      } finally {
        fs.rmSync(dir, { recursive: true, force: true })
      }
    })
    .delete('/', async (c) => {
      const [bucketName, key] = splitPath(c.req.query('path'))
      const bucket = await getBucketByName(db, bucketName)
      if (!bucket || !(await getObjectByName(db, bucket.bucket_id, key)))
        throw notFound('object', `${bucketName}/${key}`)
      await remove(bucket, key)
      return c.body(null, 204)
    })
    .delete('/:id', async (c) => {
      const [bucket, object] = await byId(c.req.param('id'))
      await remove(bucket, object.name)
      return c.body(null, 204)
    })
}
