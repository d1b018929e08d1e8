/**
 * `fado agent`: runs next to the storage of one cluster and moves replica bytes over its own
 * links, with work and pre-signed URLs from control. It holds its agent-scope token and nothing
 * else: no storage credential. Each of `concurrency` workers claims a piece of work (a long
 * poll), carries it out (carry.ts) while renewing its lease, and reports the result. Control away
 * (restarting, unreachable, 5xx): every call is retried with growing, jittered pauses, and the
 * workers go on when it is back. Control refusing the token (revoked: 401; another cluster's:
 * 403): the agent stops with the reason — no work is taken.
 */
import { randomBytes } from 'node:crypto'
import { Agent } from 'undici'
import type { Logger } from '../edge/log.js'
import { carry, type Carried } from './carry.js'
import { ControlClient, ControlRefused, ControlUnreachable } from './control-client.js'
import { AGENT_PATHS, claimAnswer, renewAnswer, reportAnswer, type WorkOrder } from './protocol.js'

declare const FADO_VERSION: string | undefined
export const AGENT_VERSION = typeof FADO_VERSION === 'string' ? FADO_VERSION : 'dev'

export interface AgentOptions {
  controlUrl: string
  token: string
  cluster: string
  storageEndpoints: Record<string, string>
  concurrency: number
  storageTimeoutMs: number
  log: Logger
}

export interface RunningAgent {
  agentId: string
  /** Resolves when the agent stopped on its own (its token refused): the reason. */
  stopped: Promise<Error>
  close(): Promise<void>
}

/** How long a claim waits at control for work to arrive. */
const CLAIM_WAIT_MS = 15_000
const CALL_TIMEOUT_MS = 15_000
const BACKOFF = { firstMs: 250, maxMs: 10_000 }
/** How long a finished piece's report is retried while control is away. */
const REPORT_PATIENCE_MS = 120_000

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms)
    signal.addEventListener('abort', () => {
      clearTimeout(t)
      resolve()
    })
  })

const jittered = (ms: number) => ms / 2 + Math.random() * (ms / 2)

export function startAgent(opts: AgentOptions): RunningAgent {
  const { log } = opts
  const agentId = `agent-${randomBytes(9).toString('base64url')}`
  const control = new ControlClient(opts.controlUrl, opts.token)
  const dispatcher = new Agent({
    connections: 64,
    keepAliveTimeout: 10_000,
    connectTimeout: opts.storageTimeoutMs,
  })
  const stopping = new AbortController()
  let stop!: (reason: Error) => void
  const stopped = new Promise<Error>((resolve) => (stop = resolve))
  const endpoints =
    Object.keys(opts.storageEndpoints).length > 0
      ? { storage_endpoints: opts.storageEndpoints }
      : {}
  let away = false

  const refused = (err: ControlRefused) => {
    const reason = new Error(
      `control refused this agent (${err.status} ${err.code}): ${err.message}`,
    )
    log.error('agent stopping', { reason: reason.message })
    stop(reason)
    stopping.abort()
  }

  /** A call to control, retried with back-off while control is away. */
  async function patiently<T>(
    call: () => Promise<T>,
    patienceMs = Infinity,
  ): Promise<T | undefined> {
    const until = Date.now() + patienceMs
    let pause = BACKOFF.firstMs
    while (!stopping.signal.aborted) {
      try {
        const value = await call()
        if (away) log.info('control reachable again', { control: opts.controlUrl })
        away = false
        return value
      } catch (err) {
        if (!(err instanceof ControlUnreachable) || Date.now() > until) throw err
        if (!away) log.warn('control unreachable; retrying', { error: err.message })
        away = true
        await sleep(jittered(pause), stopping.signal)
        pause = Math.min(BACKOFF.maxMs, pause * 2)
      }
    }
    return undefined
  }

  async function work(order: WorkOrder): Promise<void> {
    const lost = new AbortController()
    const signal = AbortSignal.any([lost.signal, stopping.signal])
    const lease = { agent_id: agentId, lease: order.lease }
    // The lease is renewed at a third of its length, so two renewals may fail before it lapses.
    const renewer = setInterval(() => {
      control
        .post(
          AGENT_PATHS.renew(order.work_id),
          { ...lease, ...endpoints },
          renewAnswer,
          CALL_TIMEOUT_MS,
        )
        .catch((err: unknown) => {
          if (err instanceof ControlRefused && err.code === 'lease_lost') {
            log.warn('lease lost: the work went to another agent', { work: order.work_id })
            lost.abort()
          }
        })
    }, leaseMs / 3)
    let result: Carried | undefined
    let error: string | undefined
    try {
      result = await carry(order, {
        dispatcher,
        timeoutMs: opts.storageTimeoutMs,
        signal,
        freshUrls: async () => {
          const answer = await control.post(
            AGENT_PATHS.renew(order.work_id),
            { ...lease, ...endpoints, fresh_urls: true },
            renewAnswer,
            CALL_TIMEOUT_MS,
          )
          if (!answer.order) throw new Error('control sent no fresh URLs')
          log.info('pre-signed URLs renewed', { work: order.work_id })
          return answer.order
        },
      })
    } catch (err) {
      error = err instanceof Error ? err.message : String(err)
    } finally {
      clearInterval(renewer)
    }
    if (lost.signal.aborted) return
    if (stopping.signal.aborted) {
      // Stopping: the work goes back at once rather than when its lease lapses.
      await control
        .post(
          AGENT_PATHS.report(order.work_id),
          { ...lease, ok: false, release: true, bytes: 0, objects: [] },
          reportAnswer,
          2_000,
        )
        .catch(() => {})
      return
    }
    if (error) log.warn('work failed', { work: order.work_id, bucket: order.bucket, error })
    try {
      await patiently(
        () =>
          control.post(
            AGENT_PATHS.report(order.work_id),
            {
              ...lease,
              ok: error === undefined,
              ...(error === undefined ? {} : { error: error.slice(0, 2000) }),
              bytes: result?.bytes ?? 0,
              objects: result?.objects ?? [],
            },
            reportAnswer,
            CALL_TIMEOUT_MS,
          ),
        REPORT_PATIENCE_MS,
      )
    } catch (err) {
      if (err instanceof ControlRefused && err.code === 'lease_lost')
        log.warn('result refused: the lease was no longer live', { work: order.work_id })
      else if (err instanceof ControlRefused && (err.status === 401 || err.status === 403))
        refused(err)
      else log.warn('result not delivered', { work: order.work_id, error: (err as Error).message })
    }
  }

  let leaseMs = 30_000
  async function worker(): Promise<void> {
    while (!stopping.signal.aborted) {
      let orders: WorkOrder[]
      try {
        const answer = await patiently(() =>
          control.post(
            AGENT_PATHS.claim,
            {
              agent_id: agentId,
              cluster: opts.cluster,
              version: AGENT_VERSION,
              ...endpoints,
              max: 1,
              wait_ms: CLAIM_WAIT_MS,
            },
            claimAnswer,
            CLAIM_WAIT_MS + CALL_TIMEOUT_MS,
            stopping.signal,
          ),
        )
        if (!answer) return
        leaseMs = answer.lease_ms
        orders = answer.work
      } catch (err) {
        if (err instanceof ControlRefused && (err.status === 401 || err.status === 403)) {
          refused(err)
          return
        }
        if (stopping.signal.aborted) return
        log.warn('claim failed', { error: (err as Error).message })
        await sleep(jittered(BACKOFF.maxMs), stopping.signal)
        continue
      }
      for (const order of orders) await work(order)
    }
  }

  log.info('agent started', {
    agent: agentId,
    cluster: opts.cluster,
    control: opts.controlUrl,
    version: AGENT_VERSION,
    concurrency: opts.concurrency,
  })
  const workers = Promise.all(Array.from({ length: opts.concurrency }, worker))
  return {
    agentId,
    stopped,
    async close() {
      stopping.abort()
      await workers
      await dispatcher.close()
    },
  }
}
