/** Direct access to test MinIO servers, to assert on what storage really holds. */
import { createHash, randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import { S3Storage } from '../../control/storage/s3.js'
import { MINIO_PASSWORD, MINIO_USER, type TestMinio } from './minio.js'

export const s3Of = (minio: TestMinio): S3Storage =>
  new S3Storage({
    endpoint: minio.endpoint,
    use_ssl: false,
    access_key: MINIO_USER,
    secret_key: MINIO_PASSWORD,
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

export async function readBytes(minio: TestMinio, bucket: string, key: string): Promise<Buffer> {
  const object = await s3Of(minio).getObject(bucket, key)
  const chunks: Buffer[] = []
  for await (const chunk of object.body) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

/** key → etag of everything in the bucket on that server; undefined when the bucket is absent. */
export async function listing(
  minio: TestMinio,
  bucket: string,
): Promise<Record<string, string> | undefined> {
  const s3 = s3Of(minio)
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
  opts: { prefix?: string; size?: number } = {},
): Promise<string[]> {
  const prefix = opts.prefix ?? 'obj/'
  const size = opts.size ?? 100
  const width = String(count - 1).length
  const keys = Array.from({ length: count }, (_, i) => `${prefix}${String(i).padStart(width, '0')}`)
  const tar = tarOf(keys, size)
  const s3 = new S3Storage(s3Of(minio).conn, { timeoutMs: 600_000 })
  await s3.putObject(bucket, `fill-${Date.now()}.tar`, Readable.from([tar]), tar.length, {
    contentType: 'application/x-tar',
    metadata: { 'snowball-auto-extract': 'true' },
  })
  return keys
}

/** A ustar archive of small files, each `size` bytes of distinct content. */
function tarOf(keys: readonly string[], size: number): Buffer {
  const blocks: Buffer[] = []
  const dataBlocks = Math.ceil(size / 512)
  for (const [i, key] of keys.entries()) {
    const header = Buffer.alloc(512, 0)
    header.write(key, 0, 100, 'utf8')
    header.write('0000644\0', 100)
    header.write('0000000\0', 108)
    header.write('0000000\0', 116)
    header.write(size.toString(8).padStart(11, '0') + '\0', 124)
    header.write(
      Math.floor(Date.now() / 1000)
        .toString(8)
        .padStart(11, '0') + '\0',
      136,
    )
    header.write('        ', 148)
    header.write('0', 156)
    header.write('ustar\0', 257)
    header.write('00', 263)
    let sum = 0
    for (const b of header) sum += b
    header.write(sum.toString(8).padStart(6, '0') + '\0 ', 148)
    blocks.push(header)
    const data = Buffer.alloc(dataBlocks * 512, 0)
    Buffer.from(`object ${i} `.padEnd(size, '.')).copy(data, 0, 0, size)
    blocks.push(data)
  }
  blocks.push(Buffer.alloc(1024, 0))
  return Buffer.concat(blocks)
}
