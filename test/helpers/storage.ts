/** Direct access to test MinIO servers, to assert on what storage really holds. */
import { createHash, randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import { tarArchive } from '../../agent/tar.js'
import { S3Storage } from '../../control/storage/s3.js'
import {
  SEAWEED_PASSWORD,
  SEAWEED_USER,
  type SeaweedServer,
} from '../../platform/seaweed-server.js'
import { MINIO_PASSWORD, MINIO_USER, type TestMinio } from './minio.js'

export const s3Of = (minio: TestMinio): S3Storage =>
  new S3Storage({
    endpoint: minio.endpoint,
    use_ssl: false,
    access_key: MINIO_USER,
    secret_key: MINIO_PASSWORD,
  })

/** A client for a test SeaweedFS server, as FaDO's kind 's3' talks to it. */
export const s3OfSeaweed = (weed: SeaweedServer): S3Storage =>
  new S3Storage({
    endpoint: weed.endpoint,
    use_ssl: false,
    access_key: SEAWEED_USER,
    secret_key: SEAWEED_PASSWORD,
    kind: 's3',
  })

export const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex')

export async function putBytes(
  minio: TestMinio,
  bucket: string,
  key: string,
  data: Buffer,
): Promise<string> {
  return s3Of(minio).putObject(bucket, key, Readable.from([data]), data.length)
}

export async function readBytes(
  server: TestMinio | S3Storage,
  bucket: string,
  key: string,
): Promise<Buffer> {
  const object = await (server instanceof S3Storage ? server : s3Of(server)).getObject(bucket, key)
  const chunks: Buffer[] = []
  for await (const chunk of object.body) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

/** key → etag of everything in the bucket on that server; undefined when the bucket is absent. */
export async function listing(
  server: TestMinio | S3Storage,
  bucket: string,
): Promise<Record<string, string> | undefined> {
  const s3 = server instanceof S3Storage ? server : s3Of(server)
  if (!(await s3.bucketExists(bucket))) return undefined
  const out: Record<string, string> = {}
  for await (const o of s3.listObjects(bucket)) out[o.key] = o.etag
  return out
}

export const randomData = (bytes: number): Buffer => randomBytes(bytes)

export function trackBody(minio: TestMinio, alias: string, clusterId: number) {
  return {
    alias,
    cluster_id: clusterId,
    endpoint: minio.endpoint,
    access_key: MINIO_USER,
    secret_key: MINIO_PASSWORD,
  }
}

/**
 * Fills a bucket with `count` small objects (`prefix` + zero-padded number) in one request:
 * MinIO's snowball upload (a tar extracted by the server, X-Amz-Meta-Snowball-Auto-Extract).
 * 100,000 objects take about a minute here, as MinIO writes each one.
 */
export async function fillBucket(
  minio: TestMinio,
  bucket: string,
  count: number,
  opts: {
    prefix?: string
    size?: number
    /** The first object's number (a large bucket is filled in several requests). */
    from?: number
    /** Digits of the numbers (default: those of the last one). */
    width?: number
  } = {},
): Promise<string[]> {
  const prefix = opts.prefix ?? 'obj/'
  const size = opts.size ?? 100
  const from = opts.from ?? 0
  const width = opts.width ?? String(from + count - 1).length
  const numbers = Array.from({ length: count }, (_, i) => from + i)
  const keys = numbers.map((n) => `${prefix}${String(n).padStart(width, '0')}`)
  const mtime = new Date()
  const archive = tarArchive(
    keys.map((name, i) => ({
      name,
      mtime,
      data: Buffer.from(`object ${numbers[i]} `.padEnd(size, '.').slice(0, size)),
    })),
  )
  await new S3Storage(s3Of(minio).conn, { timeoutMs: 600_000 }).putArchive(bucket, archive)
  return keys
}

/** An upload through FaDO's API (multipart form POST /api/objects), as the admin page sends it. */
export function uploadForm(
  fetcher: (path: string, init: RequestInit) => Promise<Response>,
  bucket: string,
  name: string,
  data: Buffer,
  type?: string,
): Promise<Response> {
  const form = new FormData()
  form.set('bucket', bucket)
  form.set('file', new Blob([new Uint8Array(data)], type ? { type } : {}), name)
  return fetcher('/api/objects', { method: 'POST', body: form })
}
