/**
 * A closed-loop load generator in a process of its own (so it never shares an event loop with the
 * edge it measures): `vus` virtual users each send a request, wait for the whole answer, and send
 * the next, for `seconds` or until `requests` are done — k6's VUs, as in the thesis's §7.4.
 * Every call is kept: when it started, how long it took, whether it succeeded.
 */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { Agent, request } from 'undici'

export interface LoadSpec {
  url: string
  headers?: Record<string, string>
  vus: number
  seconds?: number
  requests?: number
  /** A call not answered whole within this many ms is given up (failed); default 30 s. */
  timeoutMs?: number
  /** A call succeeds when it answers 200 and, if set, its JSON `size` equals this. */
  expectSize?: number
}

export interface Call {
  /** ms since the run began, when the call started */
  at: number
  ms: number
  ok: boolean
  /** the JSON `cluster` field of the answer, when there is one */
  cluster?: string
}

export interface LoadResult {
  seconds: number
  calls: Call[]
}

const SELF = fileURLToPath(import.meta.url)

export function runLoad(spec: LoadSpec): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, SELF], {
      env: { ...process.env, FADO_LOAD_SPEC: JSON.stringify(spec) },
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`load generator exited with ${code}`))
      else resolve(JSON.parse(out) as LoadResult)
    })
  })
}

async function generate(spec: LoadSpec): Promise<LoadResult> {
  const dispatcher = new Agent({ connections: spec.vus, keepAliveTimeout: 30_000 })
  const calls: Call[] = []
  const t0 = performance.now()
  const deadline = spec.seconds === undefined ? Infinity : t0 + spec.seconds * 1000
  let started = 0
  const more = () =>
    performance.now() < deadline && (spec.requests === undefined || started < spec.requests)
  await Promise.all(
    Array.from({ length: spec.vus }, async () => {
      while (more()) {
        started++
        const at = performance.now()
        let ok: boolean
        let cluster: string | undefined
        try {
          const res = await request(spec.url, {
            dispatcher,
            headers: spec.headers ?? {},
            headersTimeout: spec.timeoutMs ?? 30_000,
            bodyTimeout: spec.timeoutMs ?? 30_000,
            signal: AbortSignal.timeout(spec.timeoutMs ?? 30_000),
          })
          const text = await res.body.text()
          ok = res.statusCode === 200
          if (text.startsWith('{')) {
            const body = JSON.parse(text) as { cluster?: string; size?: number }
            cluster = body.cluster
            if (spec.expectSize !== undefined) ok &&= body.size === spec.expectSize
          }
        } catch {
          ok = false
        }
        const end = performance.now()
        calls.push({
          at: +(at - t0).toFixed(1),
          ms: +(end - at).toFixed(2),
          ok,
          ...(cluster ? { cluster } : {}),
        })
      }
    }),
  )
  const seconds = (performance.now() - t0) / 1000
  await dispatcher.close()
  return { seconds, calls }
}

/** p-th percentile (nearest rank) of some values. */
export function percentile(values: number[], p: number): number {
  const xs = [...values].sort((a, b) => a - b)
  return xs[Math.min(xs.length - 1, Math.max(0, Math.ceil((p / 100) * xs.length) - 1))] ?? NaN
}

export function summarize(result: LoadResult) {
  const ok = result.calls.filter((c) => c.ok)
  const latencies = ok.map((c) => c.ms)
  const ran: Record<string, number> = {}
  for (const c of ok) if (c.cluster) ran[c.cluster] = (ran[c.cluster] ?? 0) + 1
  return {
    completed: ok.length,
    failed: result.calls.length - ok.length,
    per_s: +(ok.length / result.seconds).toFixed(1),
    mean_ms: +(ok.reduce((a, c) => a + c.ms, 0) / Math.max(1, ok.length)).toFixed(1),
    p50_ms: +percentile(latencies, 50).toFixed(1),
    p99_ms: +percentile(latencies, 99).toFixed(1),
    ran_in: ran,
  }
}

if (process.argv[1] === SELF) {
  const result = await generate(JSON.parse(process.env.FADO_LOAD_SPEC ?? '{}') as LoadSpec)
  process.stdout.write(JSON.stringify(result))
}
