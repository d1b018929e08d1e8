/**
 * The forwarding core both edge runtimes share (Node and Workers supply only a transport):
 * pick an upstream → attempt → verdict → retry elsewhere or answer, with the accounting every
 * policy and the passive health check rely on. No I/O here: the transport does the sending.
 *
 * - In flight from the attempt until the answer's body is through (or cut), on both runtimes.
 * - A 5xx answer or a failure is retried on another available upstream only when that is safe
 *   (not sent at all, or an idempotent request without a body), attempts remain, and the retry
 *   budget allows it; the verdict on a 5xx is given when its headers arrive, before any byte of it
 *   reaches the client.
 * - A client that goes away is no verdict on the upstream.
 */
import type { Policy, PickContext } from './policies/policy.js'
import type { RetryBudget } from './retry-budget.js'
import { hasAlternative, mayRetry, nextUpstream } from './routing.js'
import { noHealthyUpstream, upstreamFailed, type EdgeError } from './edge-error.js'
import type { Route, Upstream } from './snapshot.js'
import type { UpstreamState } from './upstream-state.js'

export type Verdict = 'deliver' | 'retry'

/** What a transport reports of one attempt. */
export type Attempt =
  /** The answer is going to the client; `finished` says how its body ended. */
  | { outcome: 'delivered'; status: number; finished: Promise<'complete' | 'cut' | 'client_gone'> }
  /** A 5xx answer the core chose to retry was thrown away unread. */
  | { outcome: 'discarded'; status: number }
  /** No answer: `notSent` when the request certainly never reached the upstream. */
  | { outcome: 'failed'; notSent: boolean; error: unknown }
  | { outcome: 'client_gone' }

/** Sends the request to one upstream; calls `verdict` with the status once headers are in. */
export type Transport = (
  upstream: Upstream,
  verdict: (status: number) => Verdict,
) => Promise<Attempt>

export interface ForwardRequest {
  bucket: string
  route: Route
  policy: Policy
  method: string
  hasBody: boolean
  /** Has the body begun to be read (then it cannot be sent again)? */
  bodyConsumed(): boolean
  /** Narrows the available upstreams before the policy picks (locality.ts preferLocal). */
  prefer?: ((available: readonly Upstream[]) => readonly Upstream[]) | undefined
}

export interface ForwardDeps {
  state: UpstreamState
  pick: PickContext
  budget: RetryBudget
  /** Further upstreams to try after the first. */
  retries: number
  now(): number
}

export type ForwardResult =
  | { kind: 'delivered'; upstream: Upstream; status: number; attempts: number }
  /** `detail` is for the log: it may name internal addresses; `error` is what the client sees. */
  | { kind: 'error'; error: EdgeError; attempts: number; detail: string | undefined }
  | { kind: 'client_gone'; attempts: number }

const describe = (err: unknown): string => {
  const e = err as { code?: unknown; message?: unknown }
  const message = typeof e?.message === 'string' ? e.message : String(err)
  return typeof e?.code === 'string' && !message.includes(e.code) ? `${e.code} ${message}` : message
}

export async function forward(
  req: ForwardRequest,
  deps: ForwardDeps,
  transport: Transport,
): Promise<ForwardResult> {
  const { state, budget } = deps
  const tried = new Set<number>()
  let detail: string | undefined
  let lastCluster: string | undefined
  budget.deposit()
  const mayTryAgain = (attempt: number, safe: boolean): boolean =>
    attempt < deps.retries && safe && hasAlternative(req.route, tried, state) && budget.withdraw()

  for (let attempt = 0; attempt <= deps.retries; attempt++) {
    const upstream = nextUpstream(req.route, req.policy, tried, state, deps.pick, req.prefer)
    if (!upstream) break
    tried.add(upstream.id)
    lastCluster = upstream.cluster
    const started = deps.now()
    const ticket = state.begin(upstream.id)
    const result = await transport(upstream, (status) =>
      status >= 500 &&
      mayTryAgain(
        attempt,
        mayRetry({ notSent: false, bodyConsumed: true, method: req.method, hasBody: req.hasBody }),
      )
        ? 'retry'
        : 'deliver',
    )
    switch (result.outcome) {
      case 'delivered': {
        void result.finished.then((end) => {
          if (end === 'client_gone') state.release(upstream.id, ticket)
          else
            state.end(
              upstream.id,
              end === 'complete' && result.status < 500,
              deps.now() - started,
              ticket,
            )
        })
        return { kind: 'delivered', upstream, status: result.status, attempts: attempt + 1 }
      }
      case 'discarded':
        state.end(upstream.id, false, deps.now() - started, ticket)
        detail = `${upstream.cluster} (${upstream.url}): status ${result.status}`
        continue
      case 'client_gone':
        state.release(upstream.id, ticket)
        return { kind: 'client_gone', attempts: attempt + 1 }
      case 'failed': {
        state.end(upstream.id, false, deps.now() - started, ticket)
        detail = `${upstream.cluster} (${upstream.url}): ${describe(result.error)}`
        const safe = mayRetry({
          notSent: result.notSent,
          bodyConsumed: req.bodyConsumed(),
          method: req.method,
          hasBody: req.hasBody,
        })
        if (mayTryAgain(attempt, safe)) continue
        return {
          kind: 'error',
          error: upstreamFailed(upstream.cluster),
          attempts: attempt + 1,
          detail,
        }
      }
    }
  }
  return tried.size === 0
    ? { kind: 'error', error: noHealthyUpstream(req.bucket), attempts: 0, detail: undefined }
    : { kind: 'error', error: upstreamFailed(lastCluster ?? ''), attempts: tried.size, detail }
}
