import { describe, expect, it } from 'vitest'
import { FULL_PASS_DUTY, fullPassDueAt } from './pass-schedule.js'

describe('fullPassDueAt', () => {
  it('a bucket never passed is due at once', () => {
    expect(fullPassDueAt(undefined, 60_000)).toBe(0)
  })

  it('a quick pass: the interval after it ended', () => {
    expect(fullPassDueAt({ endedAt: 1_000_000, durationMs: 200 }, 60_000)).toBe(1_060_000)
  })

  it('a long pass: ten times its duration after it ended, so passes take a tenth of the time', () => {
    const last = { endedAt: 1_000_000, durationMs: 30_000 }
    expect(FULL_PASS_DUTY).toBe(10)
    expect(fullPassDueAt(last, 60_000)).toBe(1_300_000)
    const share = last.durationMs / (fullPassDueAt(last, 60_000) - last.endedAt + last.durationMs)
    expect(share).toBeLessThanOrEqual(1 / FULL_PASS_DUTY)
  })
})
