/**
 * Pulls route snapshots from control by long poll: GET with If-None-Match (the served version)
 * and ?wait=25, which control answers as soon as a newer version is published (else 304 after
 * 25 s), then asks again at once. A timeout, a size cap, and exponential backoff while control is
 * unreachable. The store keeps serving the last good snapshot whatever happens here.
 */
import type { Logger } from './log.js'
import type { SnapshotStore } from './snapshot-store.js'

export interface PollOptions {
  url: string
  token: string
  store: SnapshotStore
  log: Logger
  intervalMs?: number
  timeoutMs?: number
  maxBytes?: number
}

export function pollSnapshots(opts: PollOptions): () => void {
  const interval = opts.intervalMs ?? 1_000
  const waitS = 25
  const timeout = opts.timeoutMs ?? (waitS + 10) * 1000
  const maxBytes = opts.maxBytes ?? 256 * 1024 * 1024
  let failures = 0
  let timer: NodeJS.Timeout | undefined
  let stopped = false

  const poll = async () => {
    try {
      const version = opts.store.current?.version
      const res = await fetch(`${opts.url}?wait=${waitS}`, {
        headers: {
          authorization: `Bearer ${opts.token}`,
          ...(version ? { 'if-none-match': `"${version}"` } : {}),
        },
        signal: AbortSignal.timeout(timeout),
      })
      if (res.status !== 304) {
        if (!res.ok) throw new Error(`control answered ${res.status}`)
        if (Number(res.headers.get('content-length') ?? 0) > maxBytes)
          throw new Error('snapshot too large')
        const result = opts.store.offer(await res.json())
        if (!result.applied && result.reason && !result.reason.includes('not newer')) {
          opts.log.warn('refused route snapshot; keeping the last good one', {
            reason: result.reason,
          })
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
      // After an answer ask again at once (the next call waits on control); after a failure, back off.
      const delay = failures === 0 ? 0 : Math.min(15_000, interval * 2 ** Math.min(failures, 4))
      timer = setTimeout(() => void poll(), delay)
    }
  }
  void poll()
  return () => {
    stopped = true
    clearTimeout(timer)
  }
}
