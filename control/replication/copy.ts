/**
 * Copies objects from a master deployment to a replica: one streamed GET → PUT (CopyObject cannot
 * cross deployments), or a batch of small ones read into memory and written as one snowball
 * upload (batch.ts). Each copy carries the master's ETag in its metadata.
 */
import type { Limiter } from '../lib/concurrency.js'
import { limiter } from '../lib/concurrency.js'
import { StorageError } from '../storage/errors.js'
import { type S3Storage } from '../storage/s3.js'
import { type ObjectEntry, type ObjectStream } from '../storage/types.js'
import { tarArchive, type TarFile } from '../../agent/tar.js'
import type { Copy } from './actions.js'
import { BATCH_LIMITS } from './batch.js'

/** User metadata on replica copies: the master ETag they were copied from (agents write it too). */
export { SOURCE_ETAG_META } from '../../agent/protocol.js'
import { SOURCE_ETAG_META } from '../../agent/protocol.js'

export interface SyncStats {
  bytes_copied: number
  objects_copied: number
  objects_deleted: number
  /** Uploads that carried many small objects at once (counted in objects_copied too). */
  batch_uploads: number
  /** Of bytes_copied, those agents moved (the rest passed through control). */
  bytes_by_agents: number
}

export const emptyStats = (): SyncStats => ({
  bytes_copied: 0,
  objects_copied: 0,
  objects_deleted: 0,
  batch_uploads: 0,
  bytes_by_agents: 0,
})

/** Batch uploads at once per replica. */
const BATCH_UPLOADS = 4

/**
 * The bounds one sync's batches share: reads of their objects (as many at once as copies), and
 * a few uploads at once (the replica extracts each with many writers of its own).
 */
export interface BatchBounds {
  reads: Limiter
  uploads: Limiter
}

export const batchBounds = (concurrency: number): BatchBounds => ({
  reads: limiter(concurrency),
  uploads: limiter(BATCH_UPLOADS),
})

/**
 * Who moves the bytes of a replica's copies: control itself (controlCopier, below), or the agents
 * of a cluster (control/agents/copier.ts). Either way the pass decides, records and counts.
 */
export interface Copier {
  /** Copies one object (listed as `source`); undefined when the master no longer has it. */
  copy(key: string, source: ObjectEntry): Promise<Copied | undefined>
  /** Copies a batch of small objects (one snowball upload); what was copied, by key. */
  batch(copies: Copy[]): Promise<Map<string, Copied>>
}

/** Control copies: bytes from master through this process to the replica. */
export const controlCopier = (
  bucket: string,
  master: S3Storage,
  replica: S3Storage,
  stats: SyncStats,
  batches: BatchBounds,
): Copier => ({
  copy: (key) => copyObject(bucket, key, master, replica, stats),
  batch: (copies) => copyBatch(bucket, copies, master, replica, stats, batches),
})

/** A copy made: the master version it was read from, and the replica's ETag (null: not said). */
export interface Copied {
  entry: ObjectEntry
  etag: string | null
}

const entryOf = (key: string, source: ObjectStream): ObjectEntry => ({
  key,
  size: source.size,
  etag: source.etag,
  last_modified: source.last_modified,
})

/**
 * Reads every object of a batch from master (into memory: they are small), then writes them to
 * the replica in one snowball upload, each with its Content-Type and the master's ETag. Answers
 * what was copied, by key.
 */
export async function copyBatch(
  bucket: string,
  copies: Copy[],
  master: S3Storage,
  replica: S3Storage,
  stats: SyncStats,
  { reads, uploads }: BatchBounds,
): Promise<Map<string, Copied>> {
  const mtime = new Date()
  // An object that has grown past the batch limit since it was listed is copied on its own.
  const grown: string[] = []
  const versions = new Map<string, ObjectEntry>()
  const read = await Promise.all(
    copies.map((copy) =>
      reads(async (): Promise<TarFile | undefined> => {
        const source = await readMaster(master, bucket, copy.key)
        if (!source) return undefined
        if (source.size > BATCH_LIMITS.objectBytes) {
          source.body.destroy()
          grown.push(copy.key)
          return undefined
        }
        const chunks: Buffer[] = []
        for await (const chunk of source.body) chunks.push(chunk as Buffer)
        versions.set(copy.key, entryOf(copy.key, source))
        return {
          name: copy.key,
          data: Buffer.concat(chunks),
          mtime,
          pax: {
            'minio.metadata.Content-Type': source.content_type,
            [`minio.metadata.X-Amz-Meta-${SOURCE_ETAG_META}`]: source.etag,
          },
        }
      }),
    ),
  )
  const files = read.filter((f): f is TarFile => f !== undefined)
  const copied = new Map<string, Copied>()
  if (files.length > 0) {
    await uploads(() => replica.putArchive(bucket, tarArchive(files)))
    for (const f of files) {
      stats.bytes_copied += f.data.length
      // The batch answer carries no per-object ETag: recorded when the replica is next listed.
      copied.set(f.name, { entry: versions.get(f.name) as ObjectEntry, etag: null })
    }
    stats.objects_copied += files.length
    stats.batch_uploads++
  }
  for (const key of grown) {
    const one = await copyObject(bucket, key, master, replica, stats)
    if (one) copied.set(key, one)
  }
  return copied
}

/**
 * The master's object, or undefined when it was deleted since it was listed: its removal is a
 * change of its own (an event, or the next pass), not a failure of this copy.
 */
async function readMaster(
  master: S3Storage,
  bucket: string,
  key: string,
): Promise<ObjectStream | undefined> {
  try {
    return await master.getObject(bucket, key)
  } catch (err) {
    const code = (err as { cause?: { code?: unknown } }).cause?.code
    if (err instanceof StorageError && err.kind === 'not_found' && code === 'NoSuchKey')
      return undefined
    throw err
  }
}

/**
 * Streams one object from master to replica, with the master's ETag in the copy's metadata.
 * Undefined when the master no longer has it (nothing to copy).
 */
export async function copyObject(
  bucket: string,
  key: string,
  master: S3Storage,
  replica: S3Storage,
  stats: SyncStats,
): Promise<Copied | undefined> {
  const source = await readMaster(master, bucket, key)
  if (!source) return undefined
  let etag: string
  try {
    etag = await replica.putObject(bucket, key, source.body, source.size, {
      contentType: source.content_type,
      metadata: { [SOURCE_ETAG_META]: source.etag },
    })
  } catch (err) {
    source.body.destroy()
    throw err
  }
  stats.bytes_copied += source.size
  stats.objects_copied++
  return { entry: entryOf(key, source), etag: etag || null }
}
