/** Runs the active health checks of active-health.ts on Node: probes with undici, on a timer. */
import { Agent, request } from 'undici'
import { ActiveHealth, upstreamsOf } from './active-health.js'
import type { RouteSnapshot } from './snapshot.js'

/**
 * Probes the upstreams of whatever snapshot `current()` returns, on the interval its settings
 * say (nothing while they say null); `onChange` hears every verdict that changes, and null for an
 * upstream no longer probed (the check turned off, or the upstream no longer routed to).
 */
export function startProber(opts: {
  current: () => RouteSnapshot | undefined
  onChange: (id: number, healthy: boolean | null) => void
}): () => void {
  const health = new ActiveHealth()
  const agent = new Agent({ keepAliveTimeout: 10_000 })
  let timer: NodeJS.Timeout | undefined
  let stopped = false
  const round = async () => {
    const snapshot = opts.current()
    const check = snapshot?.settings.health_check
    const upstreams = snapshot && check ? upstreamsOf(snapshot) : []
    for (const id of health.keep(new Set(upstreams.map((u) => u.id)))) opts.onChange(id, null)
    if (check) {
      await Promise.all(
        upstreams.map(async (u) => {
          let ok: boolean
          try {
            const res = await request(u.url + check.path, {
              method: 'GET',
              dispatcher: agent,
              headersTimeout: check.timeout_ms,
              bodyTimeout: check.timeout_ms,
              signal: AbortSignal.timeout(check.timeout_ms),
            })
            await res.body.dump()
            ok = res.statusCode >= 200 && res.statusCode < 400
          } catch {
            ok = false
          }
          const changed = health.record(u.id, ok, check)
          if (changed !== undefined) opts.onChange(u.id, changed)
        }),
      )
    }
    if (!stopped) timer = setTimeout(() => void round(), check?.interval_ms ?? 1_000).unref()
  }
  void round()
  return () => {
    stopped = true
    clearTimeout(timer)
    void agent.close()
  }
}
