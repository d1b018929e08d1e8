/**
 * Pulls route snapshots from control by long poll: GET with If-None-Match naming the snapshot last
 * received (`"<lineage>:<version>"`) and ?wait=25, which control answers as soon as a different one
 * is published (else 304 after 25 s). A refused snapshot (an older one of the same lineage) is
 * still what control serves, so it is named in the next poll — control then waits instead of
 * answering the same at once — and polling backs off meanwhile: never a tight loop. Failures back
 * off too (capped); a refusal or an outage is warned about once, and shown in /_fado/status. The
 * store keeps serving the last good snapshot whatever happens here.
 */
import type { Logger } from './log.js'
import type { SnapshotStore } from './snapshot-store.js'
import { pullSnapshot } from './snapshot-pull.js'
import { snapshotTag } from './snapshot.js'

export interface PollOptions {
  url: string
  token: string
  store: SnapshotStore
  log: Logger
  intervalMs?: number
  maxIntervalMs?: number
  timeoutMs?: number
  maxBytes?: number
  /** After every answer from control (applied, refused or unchanged). */
  onResult?: () => void
}

export function pollSnapshots(opts: PollOptions): () => void {
  const interval = opts.intervalMs ?? 1_000
  const maxInterval = opts.maxIntervalMs ?? 30_000
  const waitS = 25
  const timeout = opts.timeoutMs ?? (waitS + 10) * 1000
  const maxBytes = opts.maxBytes ?? 256 * 1024 * 1024
  let failures = 0
  let refusals = 0
  let warnedRefusal = ''
  /** What control last sent, applied or not. */
  let lastTag = opts.store.current ? snapshotTag(opts.store.current) : ''
  let timer: NodeJS.Timeout | undefined
  let stopped = false

  const poll = async () => {
    try {
      const pulled = await pullSnapshot({
        url: opts.url,
        token: opts.token,
        lastTag,
        waitS,
        timeoutMs: timeout,
        maxBytes,
      })
      if (pulled.changed) {
        lastTag = pulled.etag
        const result = opts.store.offer(pulled.body)
        opts.onResult?.()
        if (result.applied) {
          refusals = 0
        } else if (!/not newer/.test(result.reason)) {
          refusals++
          if (warnedRefusal !== lastTag) {
            warnedRefusal = lastTag
            opts.log.warn('refused route snapshot; keeping the last good one', {
              reason: result.reason,
            })
          }
        }
      }
      if (failures > 0) opts.log.info('control reachable again')
      failures = 0
    } catch (err) {
      failures++
      if (failures === 1 || failures % 30 === 0) {
        opts.log.warn('cannot fetch route snapshot; serving the last good one', {
          error: err,
          failures,
        })
      }
    }
    if (!stopped) {
      // After an answer ask again at once (control waits for a change); after a failure or a
      // refusal, back off.
      const setbacks = failures + refusals
      const delay =
        setbacks === 0 ? 0 : Math.min(maxInterval, interval * 2 ** Math.min(setbacks - 1, 10))
      timer = setTimeout(() => void poll(), delay)
    }
  }
  void poll()
  return () => {
    stopped = true
    clearTimeout(timer)
  }
}
