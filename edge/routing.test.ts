import { describe, expect, it } from 'vitest'
import type { PickContext } from './policies/policy.js'
import { first } from './policies/first.js'
import { hasAlternative, mayRetry, nextUpstream } from './routing.js'
import type { Route } from './snapshot.js'
import { UpstreamState } from './upstream-state.js'

const route: Route = {
  policy: 'first',
  upstreams: [
    { id: 1, url: 'http://a', cluster: 'a' },
    { id: 2, url: 'http://b', cluster: 'b' },
  ],
}
const ctx: PickContext = {
  random: () => 0,
  inflight: () => 0,
  latency: () => undefined,
  concurrency: () => undefined,
  waited: () => 0,
  hashKey: '',
  balanceFactor: 0,
}

describe('nextUpstream', () => {
  it('skips ejected and already tried upstreams', () => {
    const state = new UpstreamState({ now: () => 0 })
    state.end(1, false, 1)
    expect(nextUpstream(route, first(), new Set(), state, ctx)?.id).toBe(2)
    expect(nextUpstream(route, first(), new Set([2]), state, ctx)).toBeUndefined()
  })

  it('tries an ejected upstream when every one is ejected (panic routing), but only first', () => {
    const state = new UpstreamState({ now: () => 0 })
    state.end(1, false, 1)
    state.end(2, false, 1)
    expect(nextUpstream(route, first(), new Set(), state, ctx)?.id).toBe(1)
    expect(nextUpstream(route, first(), new Set([1]), state, ctx)).toBeUndefined()
    expect(hasAlternative(route, new Set([1]), state)).toBe(false)
  })

  it('a route without upstreams has nothing to try', () => {
    expect(
      nextUpstream(
        { policy: 'first', upstreams: [] },
        first(),
        new Set(),
        new UpstreamState(),
        ctx,
      ),
    ).toBeUndefined()
  })
})

describe('mayRetry', () => {
  it('retries any method that never left, unless its body was read', () => {
    expect(mayRetry({ notSent: true, bodyConsumed: false, method: 'POST', hasBody: true })).toBe(
      true,
    )
    expect(mayRetry({ notSent: true, bodyConsumed: true, method: 'POST', hasBody: true })).toBe(
      false,
    )
  })
  it('after sending, retries only idempotent requests without a body', () => {
    expect(mayRetry({ notSent: false, bodyConsumed: true, method: 'GET', hasBody: false })).toBe(
      true,
    )
    expect(mayRetry({ notSent: false, bodyConsumed: true, method: 'POST', hasBody: false })).toBe(
      false,
    )
    expect(mayRetry({ notSent: false, bodyConsumed: true, method: 'PUT', hasBody: true })).toBe(
      false,
    )
  })
})

describe('UpstreamState.release', () => {
  it('drops the load count without counting a failure (the client went away)', () => {
    const state = new UpstreamState()
    state.begin(1)
    state.release(1)
    expect(state.inflight(1)).toBe(0)
    expect(state.isAvailable(1)).toBe(true)
    expect(state.report([1])[0]).toMatchObject({ consecutive_failures: 0, healthy: true })
  })
})
