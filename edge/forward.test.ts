import { describe, expect, it } from 'vitest'
import { forward, type Attempt, type Transport, type Verdict } from './forward.js'
import { first } from './policies/first.js'
import { roundRobin } from './policies/round-robin.js'
import { RetryBudget } from './retry-budget.js'
import type { Route, Upstream } from './snapshot.js'
import { UpstreamState } from './upstream-state.js'

const route: Route = {
  policy: 'first',
  upstreams: [
    { id: 1, url: 'http://a', cluster: 'a' },
    { id: 2, url: 'http://b', cluster: 'b' },
    { id: 3, url: 'http://c', cluster: 'c' },
  ],
}

/** A transport playing a script: per attempt, what the upstream does. */
type Step =
  { status: number; end?: 'complete' | 'cut' | 'client_gone' } | 'refused' | 'reset' | 'client_gone'
function scripted(steps: Step[]) {
  const calls: string[] = []
  const verdicts: Verdict[] = []
  let release: ((end: 'complete' | 'cut' | 'client_gone') => void) | undefined
  const transport: Transport = async (upstream: Upstream, verdict) => {
    const step = steps[calls.length] ?? { status: 200 }
    calls.push(upstream.cluster)
    if (step === 'refused')
      return { outcome: 'failed', notSent: true, error: new Error('ECONNREFUSED') }
    if (step === 'reset')
      return { outcome: 'failed', notSent: false, error: new Error('socket hang up') }
    if (step === 'client_gone') return { outcome: 'client_gone' }
    const v = verdict(step.status)
    verdicts.push(v)
    if (v === 'retry') return { outcome: 'discarded', status: step.status }
    const finished = new Promise<'complete' | 'cut' | 'client_gone'>((r) => (release = r))
    if (step.end) release?.(step.end)
    return { outcome: 'delivered', status: step.status, finished } satisfies Attempt
  }
  return {
    transport,
    calls,
    verdicts,
    finish: (end: 'complete' | 'cut' | 'client_gone') => release?.(end),
  }
}

function setup(
  opts: { budget?: RetryBudget; retries?: number; method?: string; hasBody?: boolean } = {},
) {
  const state = new UpstreamState({ now: () => 0 })
  const deps = {
    state,
    pick: state.pickContext(() => 0, ''),
    budget: opts.budget ?? new RetryBudget({ ratio: 1, burst: 100 }),
    retries: opts.retries ?? 2,
    now: () => 0,
  }
  const req = {
    bucket: 'b',
    route,
    policy: first(),
    method: opts.method ?? 'GET',
    hasBody: opts.hasBody ?? false,
    bodyConsumed: () => false,
  }
  return { state, deps, req }
}

describe('forward (the core both runtimes share)', () => {
  it('a connect failure is retried on the next upstream, for any method, and ejects the first', async () => {
    const { deps, req, state } = setup({ method: 'POST', hasBody: true })
    const s = scripted(['refused', { status: 201, end: 'complete' }])
    const result = await forward(req, deps, s.transport)
    expect(result).toMatchObject({ kind: 'delivered', status: 201, attempts: 2 })
    expect(s.calls).toEqual(['a', 'b'])
    expect(state.isAvailable(1)).toBe(false)
  })

  it('a 5xx is retried elsewhere for an idempotent bodiless request, before a byte reaches the client', async () => {
    const { deps, req } = setup()
    const s = scripted([{ status: 503 }, { status: 502 }, { status: 200, end: 'complete' }])
    expect(await forward(req, deps, s.transport)).toMatchObject({
      kind: 'delivered',
      status: 200,
      attempts: 3,
    })
    expect(s.verdicts).toEqual(['retry', 'retry', 'deliver'])
  })

  it('a 5xx is passed on as it is for a POST with a body, or when attempts run out', async () => {
    const post = setup({ method: 'POST', hasBody: true })
    const s1 = scripted([{ status: 500, end: 'complete' }])
    expect(await forward(post.req, post.deps, s1.transport)).toMatchObject({
      kind: 'delivered',
      status: 500,
    })
    expect(s1.calls).toEqual(['a'])
    const few = setup({ retries: 1 })
    const s2 = scripted([{ status: 500 }, { status: 500, end: 'complete' }])
    expect(await forward(few.req, few.deps, s2.transport)).toMatchObject({
      status: 500,
      attempts: 2,
    })
    expect(s2.verdicts).toEqual(['retry', 'deliver'])
  })

  it('a failure after sending a POST is not retried: 502, and the detail is for the log only', async () => {
    const { deps, req } = setup({ method: 'POST', hasBody: true })
    const s = scripted(['reset'])
    const result = await forward(req, deps, s.transport)
    expect(result).toMatchObject({ kind: 'error', error: { status: 502, code: 'upstream_failed' } })
    if (result.kind !== 'error') throw new Error('unreachable')
    expect(result.error.message).toBe(
      "the function could not be reached or failed (last tried: cluster 'a')",
    )
    expect(result.detail).toMatch(/http:\/\/a.*socket hang up/)
  })

  it('the retry budget caps retries at its share of requests', async () => {
    const budget = new RetryBudget({ ratio: 0.5, burst: 1 })
    const outcomes: number[] = []
    for (let i = 0; i < 6; i++) {
      const { deps, req } = setup({ budget })
      const s = scripted([{ status: 503 }, { status: 200, end: 'complete' }])
      const r = await forward(req, deps, s.transport)
      outcomes.push(r.kind === 'delivered' ? r.status : 0)
    }
    // Starts with one token (burst 1), each request adds half a token, a retry costs one.
    expect(outcomes).toEqual([200, 503, 200, 503, 200, 503])
  })

  it('no budget at all: nothing is retried once sent; connect failures neither', async () => {
    const budget = new RetryBudget({ ratio: 0, burst: 0 })
    const { deps, req } = setup({ budget })
    const s = scripted(['refused'])
    expect(await forward(req, deps, s.transport)).toMatchObject({ kind: 'error', attempts: 1 })
  })

  it('counts a request in flight until its body is through, then judges the upstream by how it ended', async () => {
    const { deps, req, state } = setup()
    const s = scripted([{ status: 200 }])
    await forward(req, deps, s.transport)
    expect(state.inflight(1)).toBe(1) // headers delivered, body still streaming
    s.finish('cut')
    await Promise.resolve()
    await Promise.resolve()
    expect(state.inflight(1)).toBe(0)
    expect(state.isAvailable(1)).toBe(false) // a cut body is a failure
  })

  it('a client that goes away is no verdict on the upstream', async () => {
    const { deps, req, state } = setup()
    const s = scripted(['client_gone'])
    expect(await forward(req, deps, s.transport)).toMatchObject({ kind: 'client_gone' })
    expect(state.inflight(1)).toBe(0)
    expect(state.isAvailable(1)).toBe(true)
    const again = scripted([{ status: 200 }])
    await forward(req, deps, again.transport)
    again.finish('client_gone')
    await Promise.resolve()
    await Promise.resolve()
    expect(state.report([1])[0]).toMatchObject({
      inflight: 0,
      healthy: true,
      consecutive_failures: 0,
    })
  })

  it('no upstream at all: 503 naming the bucket', async () => {
    const { deps, req } = setup()
    const s = scripted([])
    const result = await forward(
      { ...req, route: { policy: 'first', upstreams: [] } },
      deps,
      s.transport,
    )
    expect(result).toMatchObject({
      kind: 'error',
      error: { status: 503, code: 'no_healthy_upstream' },
    })
  })

  it('uses the route’s policy for every pick', async () => {
    const { deps, req } = setup()
    const policy = roundRobin()
    const seen: string[] = []
    for (let i = 0; i < 4; i++) {
      const s = scripted([{ status: 200, end: 'complete' }])
      await forward({ ...req, policy }, deps, s.transport)
      seen.push(...s.calls)
    }
    expect(seen).toEqual(['a', 'b', 'c', 'a'])
  })
})
