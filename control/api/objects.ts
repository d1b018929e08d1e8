/**
 * /api/objects: list, upload, download and delete objects (thesis §5.3.2). Bodies are streamed
 * both ways and bounded by --max-object-size: a raw PUT with Content-Length streams straight to
 * the master; a multipart form (the admin page: `bucket`, `file`) or a chunked PUT is spooled
 * first (uploads.ts), since S3 needs the size up front. Keys follow S3's rules (objectKey).
 * Listing is by page, one bucket at a time, in key order, optionally under a prefix.
 */
import { Readable } from 'node:stream'
import fs from 'node:fs'
import { Hono, type Context } from 'hono'
import { z } from 'zod'
import { getBucket, getBucketByName, type BucketRow } from '../db/buckets.js'
import { getObject, getObjectByName, listObjectsPage, type ObjectRow } from '../db/objects.js'
import { ClientGoneError, invalidField, notFound, tooLarge } from '../lib/errors.js'
import {
  objectUrl,
  openObject,
  removeObject,
  storeObject,
  uploadUrls,
  URL_EXPIRY,
} from '../services/objects.js'
import { listClusters } from '../db/clusters.js'
import type { ApiDeps } from './deps.js'
import { requestBody, shieldedStream, spoolBody, spoolForm } from './uploads.js'
import { MAX_KEY_BYTES, objectKey, parseBody, parseId } from './validate.js'
import { objectView, type ObjectPage } from './answers.js'

const DEFAULT_PAGE = 100
const MAX_PAGE = 1000

function parseLimit(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_PAGE
  if (!/^\d{1,4}$/.test(raw) || Number(raw) < 1 || Number(raw) > MAX_PAGE)
    throw invalidField('limit', `must be a whole number from 1 to ${MAX_PAGE}`)
  return Number(raw)
}

/** Seconds a pre-signed URL lasts: `expires_in`, 1 to 604800 (S3's limit), default 900. */
function parseExpiry(raw: string | undefined): number {
  if (raw === undefined) return URL_EXPIRY.default
  if (!/^\d{1,6}$/.test(raw) || Number(raw) < 1 || Number(raw) > URL_EXPIRY.max)
    throw invalidField('expires_in', `must be a number of seconds from 1 to ${URL_EXPIRY.max}`)
  return Number(raw)
}

/** `?redirect=1`: answer with a pre-signed URL of the object instead of its bytes. */
function wantsRedirect(raw: string | undefined): boolean {
  if (raw === undefined || raw === '0') return false
  if (raw === '1') return true
  throw invalidField('redirect', 'must be 1 (answer 307 to a pre-signed URL) or 0')
}

export const uploadUrlBody = z.strictObject({
  bucket: z.string({ error: 'must be a bucket name' }).describe('the bucket (its name)'),
  name: z.string({ error: 'must be an object name' }).describe('the object’s key'),
  size: z
    .number({ error: 'must be a number of bytes' })
    .int({ error: 'must be a whole number of bytes' })
    .min(0, { error: 'must be a number of bytes' })
    .optional()
    .describe('bytes the object will have: over the multipart threshold, multipart URLs are given'),
  content_type: z.string({ error: 'must be a media type' }).max(256).optional(),
  expires_in: z
    .number({ error: 'must be a number of seconds' })
    .int({ error: 'must be a whole number of seconds' })
    .min(1, { error: `must be from 1 to ${URL_EXPIRY.max} seconds` })
    .max(URL_EXPIRY.max, { error: `must be from 1 to ${URL_EXPIRY.max} seconds` })
    .optional()
    .describe(`seconds the URLs are valid (default ${URL_EXPIRY.default})`),
})

/** `bucket/key/with/slashes` → [bucket, key]. */
function splitPath(raw: string | undefined): [string, string] {
  const i = raw?.indexOf('/') ?? -1
  if (!raw || i <= 0) throw invalidField('path', "must be 'bucket/object-name'")
  return [raw.slice(0, i), objectKey(raw.slice(i + 1), 'path')]
}

export function objectsApi(deps: ApiDeps): Hono {
  const { db, limits } = deps
  const bucketNamed = async (name: string, field: string): Promise<BucketRow> => {
    const bucket = await getBucketByName(db, name)
    if (!bucket) throw invalidField(field, `no bucket named '${name}'`)
    return bucket
  }

  const download = async (bucket: BucketRow, key: string) => {
    const object = await openObject(deps, bucket, key)
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

  /** 307 to a pre-signed GET of the object's copy in ?cluster= (else the master's). */
  const redirectTo = async (c: Context, bucket: BucketRow, key: string) => {
    if (!(await getObjectByName(db, bucket.bucket_id, key)))
      throw notFound('object', `${bucket.name}/${key}`)
    const clusterName = c.req.query('cluster')
    const clusters = await listClusters(db)
    let clusterId: number | undefined
    if (clusterName !== undefined) {
      clusterId = clusters.find((cl) => cl.name === clusterName)?.cluster_id
      if (clusterId === undefined)
        throw invalidField('cluster', `no cluster named '${clusterName}'`)
    }
    const expiresSeconds = parseExpiry(c.req.query('expires_in'))
    const { url, clusterId: servedBy } = await objectUrl(deps, bucket, key, {
      clusterId,
      expiresSeconds,
    })
    const cluster = clusters.find((cl) => cl.cluster_id === servedBy)?.name ?? ''
    return c.body(null, 307, {
      location: url,
      'x-fado-cluster': cluster,
      'cache-control': 'no-store',
    })
  }

  const byId = async (raw: string | undefined): Promise<[BucketRow, ObjectRow]> => {
    const objectId = parseId(raw, 'object_id')
    const object = await getObject(db, objectId)
    const bucket = object && (await getBucket(db, object.bucket_id))
    if (!object || !bucket) throw notFound('object', objectId)
    return [bucket, object]
  }

  /** A spooled upload, stored and its spool file removed whatever happens. */
  const storeSpooled = async (
    bucket: BucketRow,
    key: string,
    spooled: { file: string; size: number; dispose(): void },
    contentType: string,
  ) => {
    try {
      return await storeObject(
        deps,
        bucket,
        key,
        fs.createReadStream(spooled.file),
        spooled.size,
        contentType,
      )
    } finally {
      spooled.dispose()
    }
  }

  return new Hono()
    .get('/', async (c) => {
      const objectPath = c.req.query('path')
      if (objectPath !== undefined) {
        const [bucketName, key] = splitPath(objectPath)
        const redirect = wantsRedirect(c.req.query('redirect'))
        const bucket = await getBucketByName(db, bucketName)
        if (!bucket) throw notFound('bucket', bucketName)
        return redirect ? redirectTo(c, bucket, key) : download(bucket, key)
      }
      const bucketName = c.req.query('bucket')
      if (bucketName === undefined)
        throw invalidField(
          'bucket',
          'names the bucket to list (objects are listed one bucket at a time)',
        )
      const bucket = await bucketNamed(bucketName, 'bucket')
      const limit = parseLimit(c.req.query('limit'))
      const after = c.req.query('after') ?? ''
      const prefix = c.req.query('prefix') ?? ''
      if (Buffer.byteLength(after) > MAX_KEY_BYTES)
        throw invalidField('after', 'is longer than any key')
      if (Buffer.byteLength(prefix) > MAX_KEY_BYTES)
        throw invalidField('prefix', 'is longer than any key')
      // One more than asked: whether there is a next page, without a count.
      const rows = await listObjectsPage(db, bucket.bucket_id, after, limit + 1, prefix)
      const page: ObjectPage = {
        objects: rows.slice(0, limit).map(objectView),
        next_after: rows.length > limit ? (rows[limit - 1] as ObjectRow).name : null,
      }
      return c.json(page)
    })
    .get('/:id', async (c) => {
      const redirect = wantsRedirect(c.req.query('redirect'))
      const [bucket, object] = await byId(c.req.param('id'))
      return redirect ? redirectTo(c, bucket, object.name) : download(bucket, object.name)
    })
    .post('/upload-url', async (c) => {
      const input = await parseBody(c, uploadUrlBody)
      const bucket = await bucketNamed(input.bucket, 'bucket')
      const key = objectKey(input.name, 'name')
      if (input.size !== undefined && input.size > limits.maxObjectSize)
        throw tooLarge('size', limits.maxObjectSize)
      const expiresSeconds = input.expires_in ?? URL_EXPIRY.default
      const urls = await uploadUrls(deps, bucket, key, {
        size: input.size,
        contentType: input.content_type ?? 'application/octet-stream',
        expiresSeconds,
      })
      return c.json({
        bucket: bucket.name,
        name: key,
        expires_at: new Date(Date.now() + expiresSeconds * 1000).toISOString(),
        ...urls,
      })
    })
    .post('/', async (c) => {
      const form = await spoolForm(c, requestBody(c), limits)
      try {
        const bucket = await bucketNamed(form.fields.bucket ?? '', 'bucket')
        const key = form.fields.name
          ? objectKey(form.fields.name, 'name')
          : objectKey(form.filename, 'file')
        const row = await storeSpooled(bucket, key, form, form.contentType)
        return c.json(objectView(row), 201)
      } finally {
        form.dispose()
      }
    })
    .put('/', async (c: Context) => {
      const [bucketName, key] = splitPath(c.req.query('path'))
      const bucket = await bucketNamed(bucketName, 'path')
      const contentType = c.req.header('content-type') || 'application/octet-stream'
      const existed = await getObjectByName(db, bucket.bucket_id, key)
      const length = c.req.header('content-length')
      const body = requestBody(c)
      let row: ObjectRow
      if (length !== undefined) {
        if (!/^\d{1,16}$/.test(length)) throw invalidField('content-length', 'must be a number')
        if (Number(length) > limits.maxObjectSize) throw tooLarge('body', limits.maxObjectSize)
        row = await storeObject(
          deps,
          bucket,
          key,
          shieldedStream(body),
          Number(length),
          contentType,
          (err) => (body.aborted() ? new ClientGoneError(err) : err),
        )
      } else {
        row = await storeSpooled(bucket, key, await spoolBody(body, limits), contentType)
      }
      return c.json(objectView(row), existed ? 200 : 201)
    })
    .delete('/', async (c) => {
      const [bucketName, key] = splitPath(c.req.query('path'))
      const bucket = await getBucketByName(db, bucketName)
      if (!bucket || !(await getObjectByName(db, bucket.bucket_id, key)))
        throw notFound('object', `${bucketName}/${key}`)
      await removeObject(deps, bucket, key)
      return c.body(null, 204)
    })
    .delete('/:id', async (c) => {
      const [bucket, object] = await byId(c.req.param('id'))
      await removeObject(deps, bucket, object.name)
      return c.body(null, 204)
    })
}
