import { describe, expect, it } from 'vitest'
import { ActiveHealth } from './active-health.js'
import type { HealthCheck } from './snapshot.js'

const check: HealthCheck = {
  path: '/healthz',
  interval_ms: 1000,
  timeout_ms: 500,
  healthy_threshold: 2,
  unhealthy_threshold: 3,
}

describe('ActiveHealth', () => {
  it('takes an upstream out after unhealthy_threshold failures in a row, back after healthy_threshold successes', () => {
    const h = new ActiveHealth()
    const verdicts = [true, false, false, true, false, false, false, true, false, true, true].map(
      (ok) => h.record(7, ok, check),
    )
    expect(verdicts).toEqual([
      true, // the first verdict is reported
      undefined, // healthy stays healthy
      undefined,
      undefined, // a success breaks the run of failures
      undefined,
      undefined,
      false, // third failure in a row: out
      undefined,
      undefined, // a failure breaks the run of successes
      undefined,
      true, // second success in a row: back
    ])
  })

  it('reports a first failing verdict only after the threshold, and forgets upstreams on request', () => {
    const h = new ActiveHealth()
    expect([false, false, false, false].map((ok) => h.record(1, ok, check))).toEqual([
      undefined,
      undefined,
      false,
      undefined,
    ])
    expect(h.record(2, true, check)).toBe(true)
    expect(h.keep(new Set([2]))).toEqual([1])
    expect(h.keep(new Set())).toEqual([2])
    // Forgotten: the next probe is a first verdict again.
    expect(h.record(2, true, check)).toBe(true)
  })
})
