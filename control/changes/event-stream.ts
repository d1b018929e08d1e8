/**
 * Listens to one MinIO deployment's event stream (GET /?events=…, all buckets, newline-delimited
 * JSON, a ping record every 10 s). minio-js's own listener dies silently on a socket error, so
 * this one is ours: it reconnects with backoff and reports every reconnect so the caller can
 * repair whatever was missed meanwhile (events are best-effort).
 * Note: the MinIO build we test with (Feb 2026 source) does not flush this stream: records arrive
 * in ~4 KB batches. No silence watchdog therefore (pings arrive in batches too); the webhook target
 * is what makes replication prompt, and this stream a second source.
 */
import type { Logger } from '../../edge/log.js'
import { type S3Storage } from '../storage/s3.js'
import { encodeRfc3986 } from '../storage/transport.js'

export interface StorageEvent {
  eventName: string
  bucket: string
  key: string | undefined
  size: number | undefined
  etag: string | undefined
  deploymentId: string | undefined
}

const BUCKET_EVENTS = ['s3:BucketCreated:*', 's3:BucketRemoved:*']
const OBJECT_EVENTS = ['s3:ObjectCreated:*', 's3:ObjectRemoved:*']
const PING_SECONDS = 10

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined)

/**
 * Parses MinIO / S3 notification records (event stream lines and webhook bodies alike). Records
 * without an event name or bucket are skipped, and so are keys no S3 URL can address safely
 * (control characters, '.' or '..' segments): the periodic pass covers whatever they were.
 */
export function parseRecords(body: unknown): StorageEvent[] {
  const records = (body as { Records?: unknown } | null)?.Records
  if (!Array.isArray(records)) return []
  return records.flatMap((r: unknown): StorageEvent[] => {
    const rec = (r ?? {}) as {
      eventName?: unknown
      s3?: {
        bucket?: { name?: unknown }
        object?: { key?: unknown; size?: unknown; eTag?: unknown }
      }
      responseElements?: Record<string, unknown>
    }
    const eventName = str(rec.eventName)
    const bucket = str(rec.s3?.bucket?.name)
    if (!eventName || !bucket) return []
    const rawKey = str(rec.s3?.object?.key)
    const key = rawKey === undefined ? undefined : decodeKey(rawKey)
    if (key !== undefined && !addressable(key)) return []
    const size = rec.s3?.object?.size
    return [
      {
        eventName,
        bucket,
        key,
        size: typeof size === 'number' ? size : undefined,
        etag: str(rec.s3?.object?.eTag),
        deploymentId: str(rec.responseElements?.['x-minio-deployment-id']),
      },
    ]
  })
}

// eslint-disable-next-line no-control-regex -- control characters are what is refused
const CONTROL = /[\u0000-\u001f\u007f]/

const addressable = (key: string): boolean =>
  key.length > 0 && !CONTROL.test(key) && !key.split('/').some((s) => s === '.' || s === '..')

/** Event keys are URL-encoded with '+' for spaces (as S3 does). */
function decodeKey(key: string): string {
  try {
    return decodeURIComponent(key.replace(/\+/g, ' '))
  } catch {
    return key
  }
}

export interface EventListenerHandle {
  stop(): void
}

export function listenToEvents(opts: {
  storage: S3Storage
  name: string
  log: Logger
  onEvents: (events: StorageEvent[]) => void
  /** Called after a reconnect: events may have been lost while disconnected. */
  onReconnect: () => void
  /**
   * Object events too (default), or bucket events only: a deployment holding replicas only would
   * otherwise report every object FaDO copies to it, one record each.
   */
  objectEvents?: boolean
  /** Call onReconnect after the first connect too (a listener replacing another). */
  repairOnFirstConnect?: boolean
  maxBackoffMs?: number
}): EventListenerHandle {
  let stopped = false
  let abort: AbortController | undefined
  let failures = 0
  let everConnected = opts.repairOnFirstConnect ?? false
  const events = opts.objectEvents === false ? BUCKET_EVENTS : [...OBJECT_EVENTS, ...BUCKET_EVENTS]
  const query = events.map((e) => `events=${encodeRfc3986(e)}`).join('&') + `&ping=${PING_SECONDS}`

  const loop = async () => {
    while (!stopped) {
      abort = new AbortController()
      try {
        const res = await opts.storage.signed('GET', `/?${query}`, {
          signal: abort.signal,
          stream: true,
        })
        if (res.statusCode !== 200) {
          const text = await res.body.text()
          throw new Error(`event stream answered ${res.statusCode} ${text.slice(0, 200)}`)
        }
        if (everConnected || failures > 0) {
          opts.log.info('storage event stream connected', { storage: opts.name })
          opts.onReconnect()
        }
        everConnected = true
        failures = 0
        let buffered = ''
        for await (const chunk of res.body) {
          buffered += (chunk as Buffer).toString('utf8')
          // Every record that arrived together is handed on together.
          const batch: StorageEvent[] = []
          let newline: number
          while ((newline = buffered.indexOf('\n')) >= 0) {
            const line = buffered.slice(0, newline).trim()
            buffered = buffered.slice(newline + 1)
            if (!line) continue
            try {
              batch.push(...parseRecords(JSON.parse(line)))
            } catch (err) {
              opts.log.warn('unreadable storage event', { storage: opts.name, error: err })
            }
          }
          if (batch.length > 0) opts.onEvents(batch)
        }
        throw new Error('event stream closed')
      } catch (err) {
        if (stopped) return
        failures++
        const delay = Math.min(opts.maxBackoffMs ?? 30_000, 250 * 2 ** Math.min(failures, 8))
        if (failures === 1 || failures % 10 === 0) {
          opts.log.warn('storage event stream lost; reconnecting', {
            storage: opts.name,
            error: err,
            retry_in_ms: delay,
          })
        }
        await new Promise((r) => setTimeout(r, delay).unref())
      }
    }
  }
  void loop()
  return {
    stop() {
      stopped = true
      abort?.abort()
    },
  }
}
