import { describe, expect, it } from 'vitest'
import { UpstreamState } from './upstream-state.js'

describe('UpstreamState', () => {
  it('ejects a failing upstream for a backoff that doubles, and takes it back after', () => {
    let now = 1_000
    const state = new UpstreamState({ now: () => now, ejectMs: 100, maxEjectMs: 350 })
    state.begin(1)
    state.end(1, false, 5)
    expect(state.isAvailable(1)).toBe(false)
    now += 99
    expect(state.isAvailable(1)).toBe(false)
    now += 1
    expect(state.isAvailable(1)).toBe(true)
    state.end(1, false, 5) // second failure in a row: 200 ms
    now += 199
    expect(state.isAvailable(1)).toBe(false)
    now += 1
    expect(state.isAvailable(1)).toBe(true)
    state.end(1, false, 5)
    state.end(1, false, 5) // capped at 350 ms
    now += 350
    expect(state.isAvailable(1)).toBe(true)
    state.end(1, true, 10) // success resets the count
    expect(state.report([1])[0]).toMatchObject({ healthy: true, consecutive_failures: 0 })
  })

  it('counts requests in flight and smooths latency', () => {
    const state = new UpstreamState({ alpha: 0.5 })
    state.begin(7)
    state.begin(7)
    expect(state.inflight(7)).toBe(2)
    state.end(7, true, 100)
    expect(state.latency(7)).toBe(100)
    state.end(7, true, 200)
    expect(state.latency(7)).toBe(150)
    expect(state.inflight(7)).toBe(0)
    // The first answer came back with 2 in flight (itself included), the second with 1.
    expect(state.concurrency(7)).toBe(1.5)
    expect(state.latency(8)).toBeUndefined()
    expect(state.isAvailable(8)).toBe(true)
  })
})
