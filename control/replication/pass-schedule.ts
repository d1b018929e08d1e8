/**
 * When a bucket's next full pass is due (pure). Events (webhook, event stream, the s3 poller)
 * carry the changes; full passes are the safety net that repairs what they missed, so they run
 * only as often as they are worth: `--full-pass-interval` after a bucket's last pass ended, or ten
 * times that pass's duration when it is longer — a bucket spends at most a tenth of the time being
 * verified, however large it is, and a large bucket cannot hold the reconciler's slots from the
 * others. A bucket never seen passed (at start) is due at once.
 */

/** Full passes take at most 1 / FULL_PASS_DUTY of any bucket's time. */
export const FULL_PASS_DUTY = 10

export interface LastPass {
  /** When it ended (ms, Date.now clock). */
  endedAt: number
  durationMs: number
}

export function fullPassDueAt(last: LastPass | undefined, intervalMs: number): number {
  if (!last) return 0
  return last.endedAt + Math.max(intervalMs, FULL_PASS_DUTY * last.durationMs)
}
