import { describe, expect, it } from 'vitest'
import { UpstreamState } from './upstream-state.js'

describe('UpstreamState', () => {
  it('knows how long the oldest request in flight has waited, ended by its ticket', () => {
    let now = 1_000
    const state = new UpstreamState({ now: () => now })
    expect(state.waited(3)).toBe(0)
    const first = state.begin(3)
    now += 50
    const second = state.begin(3)
    now += 100
    expect(state.waited(3)).toBe(150)
    // The older one answers: the younger one's wait is what is left.
    state.end(3, true, 150, first)
    expect(state.waited(3)).toBe(100)
    state.release(3, second)
    expect(state.waited(3)).toBe(0)
    expect(state.inflight(3)).toBe(0)
  })

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

  it('counts requests in flight; latency rises at once to a slower answer and falls gradually', () => {
    // A clock that stands still: no measurement fades between the steps.
    const state = new UpstreamState({ alpha: 0.5, now: () => 0 })
    state.begin(7)
    state.begin(7)
    expect(state.inflight(7)).toBe(2)
    state.end(7, true, 100)
    expect(state.latency(7)).toBe(100)
    state.end(7, true, 200)
    // Peak-sensitive: slower than the average is taken whole.
    expect(state.latency(7)).toBe(200)
    expect(state.inflight(7)).toBe(0)
    state.begin(7)
    state.end(7, true, 100)
    expect(state.latency(7)).toBe(150)
    state.begin(7)
    state.begin(7)
    state.end(7, true, 150)
    state.end(7, true, 150)
    // Answers came back with 2, 1, 1, 2 and 1 in flight (each itself included).
    expect(state.concurrency(7)).toBeCloseTo(1.3125, 4)
    expect(state.latency(8)).toBeUndefined()
    expect(state.isAvailable(8)).toBe(true)
  })
})
