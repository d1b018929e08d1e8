/**
 * Snapshot publish hooks: every new route snapshot version is pushed to each configured hook, so
 * edges need not only pull.
 *   webhook        POST url, the snapshot JSON as body, X-FaDO-Snapshot-Version and
 *                  X-FaDO-Signature: sha256=<hex HMAC-SHA256 of the body with the hook's secret>
 *   cloudflare-kv  PUT the snapshot into a Workers KV namespace through Cloudflare's REST API
 *                  (key `fado-snapshot`), where Workers edges read it through a binding
 * A hook that fails is retried with exponential backoff (0.5 s doubling to 30 s) until delivered
 * or superseded: each attempt sends the newest snapshot. Every call has a timeout and none runs
 * inside a database transaction; delivery state is recorded per hook (shown by /api/hooks).
 */
import { createHmac } from 'node:crypto'
import type { Logger } from '../../edge/log.js'
import { SNAPSHOT_KV_KEY, type RouteSnapshot } from '../../edge/snapshot.js'
import type { Db } from '../db/client.js'
import { listHooks, recordDelivery, recordFailure, type HookRow } from '../db/hooks.js'
import { CoalescedRunner } from '../lib/coalesce.js'
import type { SecretBox } from '../auth/secrets.js'

/** Cloudflare's REST API (the cloudflare-kv hook writes SNAPSHOT_KV_KEY through it). */
export const CLOUDFLARE_API = 'https://api.cloudflare.com/client/v4'

export interface HookRequest {
  url: string
  method: 'POST' | 'PUT'
  headers: Record<string, string>
  body: string
}

/** Pure: what one delivery of `snapshot` to `hook` sends. */
export function hookRequest(
  hook: Pick<HookRow, 'kind' | 'url' | 'account_id' | 'namespace_id'>,
  secret: string,
  snapshot: RouteSnapshot,
): HookRequest {
  const body = JSON.stringify(snapshot)
  if (hook.kind === 'webhook')
    return {
      url: hook.url,
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-fado-snapshot-version': String(snapshot.version),
        'x-fado-signature': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`,
      },
      body,
    }
  const base = (hook.url || CLOUDFLARE_API).replace(/\/+$/, '')
  return {
    url: `${base}/accounts/${encodeURIComponent(hook.account_id)}/storage/kv/namespaces/${encodeURIComponent(hook.namespace_id)}/values/${SNAPSHOT_KV_KEY}`,
    method: 'PUT',
    headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
    body,
  }
}

export interface HookDelivererOptions {
  timeoutMs?: number
  baseDelayMs?: number
  maxDelayMs?: number
}

/** Connection failures: the target was not reached at all. */
const CONNECT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
])

/** A failed answer described by its class only. */
const answerClass = (status: number): string =>
  status < 400
    ? 'the target answered with a redirect, which is not followed'
    : status < 500
      ? 'the target refused the delivery (a 4xx answer)'
      : 'the target failed (a 5xx answer)'

export class HookDeliverer {
  #latest: RouteSnapshot | undefined
  readonly #runner = new CoalescedRunner(
    () => this.#run(),
    () => !this.#stopped,
  )
  #stopped = false
  readonly #retryAt = new Map<number, number>()
  readonly #timers = new Set<NodeJS.Timeout>()
  readonly #timeoutMs: number
  readonly #baseDelayMs: number
  readonly #maxDelayMs: number

  constructor(
    private readonly db: Db,
    private readonly secrets: SecretBox,
    private readonly log: Logger,
    options: HookDelivererOptions = {},
  ) {
    this.#timeoutMs = options.timeoutMs ?? 10_000
    this.#baseDelayMs = options.baseDelayMs ?? 500
    this.#maxDelayMs = options.maxDelayMs ?? 30_000
  }

  /**
   * A new snapshot version: deliver it to every hook now — except those failing, whose next
   * attempt (at its backoff time, not sooner: a receiver that is down is not hammered) sends it
   * instead of the version they were failing with.
   */
  offer(snapshot: RouteSnapshot): void {
    this.#latest = snapshot
    this.kick()
  }

  /** Hooks were added or removed: deliver what is missing. */
  kick(): void {
    this.#runner.request()
  }

  /** Resolves when no delivery is running (tests). */
  idle(): Promise<void> {
    return this.#runner.idle()
  }

  stop(): void {
    this.#stopped = true
    for (const t of this.#timers) clearTimeout(t)
    this.#timers.clear()
  }

  async #run(): Promise<void> {
    const snapshot = this.#latest
    if (!snapshot) return
    let hooks: HookRow[]
    try {
      hooks = await listHooks(this.db)
    } catch (err) {
      this.log.warn('could not read publish hooks; retrying', { error: err })
      this.#retryIn(this.#maxDelayMs / 10)
      return
    }
    const now = Date.now()
    await Promise.all(
      hooks
        .filter((h) => h.delivered_version !== snapshot.version)
        .filter((h) => (this.#retryAt.get(h.hook_id) ?? 0) <= now)
        .map((h) => this.#deliver(h, snapshot)),
    )
  }

  async #deliver(hook: HookRow, snapshot: RouteSnapshot): Promise<void> {
    /** What the API shows: what failed, never the target's own answer (no probing through hooks). */
    let error: string | undefined
    /** What the log gets: the status or error code itself. */
    let detail: string | undefined
    try {
      const req = hookRequest(hook, this.secrets.open(hook.secret), snapshot)
      const res = await fetch(req.url, {
        method: req.method,
        headers: req.headers,
        body: req.body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.#timeoutMs),
      })
      await res.body?.cancel()
      if (!res.ok) {
        error = answerClass(res.status)
        detail = `answered ${res.status}`
      }
    } catch (err) {
      const e = err as { name?: string; cause?: { code?: string }; message?: string }
      detail = e.cause?.code ?? e.message ?? String(err)
      error =
        e.name === 'TimeoutError'
          ? `no answer within ${this.#timeoutMs} ms`
          : CONNECT_CODES.has(e.cause?.code ?? '')
            ? 'could not connect to the target'
            : 'the delivery failed on the way'
    }
    try {
      if (error === undefined) {
        this.#retryAt.delete(hook.hook_id)
        await recordDelivery(this.db, hook.hook_id, snapshot.version)
        return
      }
      const delay = Math.min(this.#maxDelayMs, this.#baseDelayMs * 2 ** Math.min(hook.attempts, 16))
      this.#retryAt.set(hook.hook_id, Date.now() + delay)
      this.#retryIn(delay)
      await recordFailure(this.db, hook.hook_id, error)
      if (hook.attempts === 0)
        this.log.warn('snapshot hook delivery failed; retrying', {
          hook: hook.hook_id,
          kind: hook.kind,
          version: snapshot.version,
          error,
          detail,
          retry_in_ms: delay,
        })
    } catch (err) {
      this.log.warn('could not record a hook delivery', { hook: hook.hook_id, error: err })
    }
  }

  #retryIn(ms: number): void {
    if (this.#stopped) return
    const timer = setTimeout(() => {
      this.#timers.delete(timer)
      this.kick()
    }, ms)
    timer.unref()
    this.#timers.add(timer)
  }
}
