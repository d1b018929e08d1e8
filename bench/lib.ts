/** Shared by the edge benchmarks: child processes, nginx upstreams and wrk. */
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'
import { Worker } from 'node:worker_threads'
import { freePort, waitFor } from '../test/helpers/ports.js'

export const run = promisify(execFile)

export async function requireTools(tools: string[]): Promise<void> {
  for (const tool of tools) {
    try {
      await run('sh', ['-c', `command -v ${tool}`])
    } catch {
      throw new Error(`${tool} not found: apt-get install -y wrk caddy nginx-light haproxy`)
    }
  }
}

export type Starter = (
  cmd: string,
  args: string[],
  name: string,
  env?: NodeJS.ProcessEnv,
) => ChildProcess

/** Starts children that keep their output, and stops them all at the end. */
export function processes() {
  const children: ChildProcess[] = []
  const logs = new WeakMap<ChildProcess, () => string>()
  const start: Starter = (cmd, args, name, env = process.env) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env })
    let log = ''
    child.stdout?.on('data', (d: Buffer) => (log += d.toString()))
    child.stderr?.on('data', (d: Buffer) => (log += d.toString()))
    child.on('exit', (code) => {
      if (code !== 0 && code !== null) console.error(`${name} exited ${code}: ${log.slice(-500)}`)
    })
    logs.set(child, () => log)
    children.push(child)
    return child
  }
  const stop = async (proc: ChildProcess, signal: NodeJS.Signals = 'SIGTERM') => {
    if (proc.exitCode !== null || proc.signalCode !== null) return
    const exited = new Promise((r) => proc.once('exit', r))
    proc.kill(signal)
    const t = setTimeout(() => proc.kill('SIGKILL'), 5000)
    await exited
    clearTimeout(t)
  }
  return { start, stop, children, output: (c: ChildProcess) => logs.get(c)?.() ?? '' }
}

export async function waitHttp(url: string, headers: Record<string, string> = {}) {
  await waitFor(
    url,
    async () => (await fetch(url, { headers, signal: AbortSignal.timeout(1000) })).status === 200,
    20_000,
  )
}

export const nginxCommon = (dir: string, name: string, singleProcess = false) => `
worker_processes 1;
daemon off;
${singleProcess ? 'master_process off;' : ''}
pid ${dir}/${name}.pid;
error_log ${dir}/${name}.err warn;
events { worker_connections 4096; }
`

/** An upstream: one single-worker nginx answering a fixed body. */
export async function startUpstream(
  start: Starter,
  dir: string,
  i: number,
): Promise<{ url: string; proc: ChildProcess }> {
  const port = await freePort()
  const conf = path.join(dir, `up${i}.conf`)
  fs.writeFileSync(
    conf,
    `${nginxCommon(dir, `up${i}`, true)}
http { access_log off; server { listen 127.0.0.1:${port}; location / { return 200 "ok from upstream ${i}\\n"; } } }
`,
  )
  const proc = start('nginx', ['-c', conf, '-e', `${dir}/up${i}.err`], `upstream ${i}`)
  await waitHttp(`http://127.0.0.1:${port}/`)
  return { url: `http://127.0.0.1:${port}`, proc }
}

/** One nginx worker answering "ok\n" on `count` ports: that many upstreams for one process's CPU. */
export async function startUpstreamPorts(
  start: Starter,
  dir: string,
  count: number,
): Promise<string[]> {
  const ports: number[] = []
  for (let i = 0; i < count; i++) ports.push(await freePort())
  const conf = path.join(dir, 'upstreams.conf')
  fs.writeFileSync(
    conf,
    `${nginxCommon(dir, 'upstreams', true)}
http {
  access_log off;
  keepalive_requests 1000000;
  server {
${ports.map((p) => `    listen 127.0.0.1:${p};`).join('\n')}
    location / { return 200 "ok\\n"; }
  }
}
`,
  )
  start('nginx', ['-c', conf, '-e', `${dir}/upstreams.err`], 'upstreams')
  const urls = ports.map((p) => `http://127.0.0.1:${p}`)
  for (const u of urls) await waitHttp(`${u}/`)
  return urls
}

export interface WrkResult {
  rps: number
  mean_ms: number
  p50_ms: number
  p99_ms: number
  requests: number
  errors: number
}

function toMs(value: string): number {
  const m = /^([\d.]+)(us|ms|s)$/.exec(value.trim())
  if (!m) return NaN
  const n = Number(m[1])
  return m[2] === 'us' ? n / 1000 : m[2] === 's' ? n * 1000 : n
}

/** wrk -t1 -c<connections> with header(s); errors = non-2xx/3xx answers + socket errors. */
export async function runWrk(
  url: string,
  header: string | string[],
  seconds: number,
  connections = 50,
  /** Run wrk on these CPUs only (taskset -c), e.g. '1'. */
  cpus?: string,
): Promise<WrkResult> {
  const headers = (Array.isArray(header) ? header : [header]).flatMap((h) => ['-H', h])
  const args = ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', ...headers, url]
  const { stdout } = await run(
    cpus ? 'taskset' : 'wrk',
    cpus ? ['-c', cpus, 'wrk', ...args] : args,
    { maxBuffer: 1 << 24 },
  )
  const num = (re: RegExp) => Number(re.exec(stdout)?.[1] ?? NaN)
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1] ?? 0)
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout)
  const socketErrors = socket ? socket.slice(1).reduce((a, n) => a + Number(n), 0) : 0
  return {
    rps: Math.round(num(/Requests\/sec:\s+([\d.]+)/)),
    mean_ms: +toMs(/Latency\s+(\S+)/.exec(stdout)?.[1] ?? '').toFixed(2),
    p50_ms: +toMs(/\s50%\s+(\S+)/.exec(stdout)?.[1] ?? '').toFixed(2),
    p99_ms: +toMs(/\s99%\s+(\S+)/.exec(stdout)?.[1] ?? '').toFixed(2),
    requests: num(/(\d+) requests in/),
    errors: non2xx + socketErrors,
  }
}

export async function toolVersion(cmd: string, args: string[]): Promise<string> {
  try {
    const { stdout, stderr } = await run(cmd, args)
    return (stdout || stderr).split('\n')[0]?.trim() ?? ''
  } catch (err) {
    return ((err as { stderr?: string }).stderr ?? '').split('\n')[0]?.trim() ?? 'unknown'
  }
}

/** These processes and all their descendants (from /proc). */
export function processTree(pids: number[]): number[] {
  const all = [...pids]
  for (let i = 0; i < all.length; i++) {
    try {
      all.push(
        ...fs
          .readFileSync(`/proc/${all[i]}/task/${all[i]}/children`, 'utf8')
          .trim()
          .split(/\s+/)
          .filter(Boolean)
          .map(Number),
      )
    } catch {
      // gone
    }
  }
  return all
}

/** CPU seconds (user + system) one process has used so far (0 once it is gone). */
export function processCpuSeconds(pid: number): number {
  const tick = 100 // USER_HZ
  try {
    const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
    return (Number(f[11]) + Number(f[12])) / tick
  } catch {
    return 0
  }
}

/** CPU seconds (user + system) used so far by these processes and all their descendants. */
export function cpuSeconds(pids: number[]): number {
  return processTree(pids).reduce((sum, pid) => sum + processCpuSeconds(pid), 0)
}

const PAGE_BYTES = 4096
/**
 * Resident memory of the process and its descendants, MB, from /proc/<pid>/statm: the kernel's
 * counters, read in ~0.3 ms. smaps_rollup (memoryOf) walks every page table instead — 7-15 ms for
 * FaDO's processes, the reading thread held all the while and the target's mappings locked.
 */
export function rssOf(pid: number): number {
  let pages = 0
  for (const p of processTree([pid])) {
    try {
      pages += Number(fs.readFileSync(`/proc/${p}/statm`, 'utf8').split(' ')[1] ?? 0)
    } catch {
      // gone
    }
  }
  return Math.round((pages * PAGE_BYTES) / 2 ** 20)
}

/**
 * Watches the peak memory of the process and its descendants while a step runs, from a thread of
 * its own (memory-watch.ts): RSS every 250 ms, PSS every 2 s. Read in the bench's own thread,
 * smaps_rollup held it 20 ms (up to 56) during a pass, and the API latency it measured meanwhile
 * was its own: p99 23.5-28.3 ms against 17.2-18.6 with statm alone. `stop` gives the peaks, MB.
 */
export function watchPeakMemory(pid: number): { stop(): { rss_mb: number; pss_mb: number } } {
  const peaks = new Int32Array(new SharedArrayBuffer(8))
  peaks[0] = rssOf(pid)
  // A TypeScript module in a worker: Node 20 loads a worker's entry before `--import tsx` takes
  // hold there, so the entry registers tsx and then imports it.
  const entry = new URL('./memory-watch.ts', import.meta.url).href
  const worker = new Worker(
    `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}) })`,
    { eval: true, workerData: { pid, peaks } },
  )
  worker.unref()
  return {
    stop() {
      void worker.terminate()
      return { rss_mb: Atomics.load(peaks, 0), pss_mb: Atomics.load(peaks, 1) }
    },
  }
}

/** The process and its descendants: total RSS and PSS (proportional: shared pages split), MB. */
export function memoryOf(pid: number): {
  rss_mb: number
  pss_mb: number
  processes: number
  control_rss_mb: number
  control_pss_mb: number
} {
  const pids = processTree([pid])
  let rss = 0
  let pss = 0
  let control = { rss: 0, pss: 0 }
  for (const p of pids) {
    try {
      const text = fs.readFileSync(`/proc/${p}/smaps_rollup`, 'utf8')
      const one = {
        rss: Number(/^Rss:\s+(\d+)/m.exec(text)?.[1] ?? 0),
        pss: Number(/^Pss:\s+(\d+)/m.exec(text)?.[1] ?? 0),
      }
      if (p === pid) control = one
      rss += one.rss
      pss += one.pss
    } catch {
      // gone
    }
  }
  const mb = (kb: number) => Math.round(kb / 1024)
  return {
    rss_mb: mb(rss),
    pss_mb: mb(pss),
    processes: pids.length,
    control_rss_mb: mb(control.rss),
    control_pss_mb: mb(control.pss),
  }
}

/** The host's CPU time so far, by state (/proc/stat's first line, in clock ticks). */
export function hostCpuTicks(): { busy: number; iowait: number; steal: number; total: number } {
  const [user, nice, system, idle, iowait, irq, softirq, steal] = fs
    .readFileSync('/proc/stat', 'utf8')
    .split('\n')[0]!
    .trim()
    .split(/\s+/)
    .slice(1, 9)
    .map(Number) as [number, number, number, number, number, number, number, number]
  const busy = user + nice + system + irq + softirq
  return { busy, iowait, steal, total: busy + idle + iowait + steal }
}

/**
 * How the host's CPUs spent a step, in percent of all their time since `before`: busy, waiting on
 * the disk (iowait: a step that waits on it is disk-bound, e.g. a storage server's metadata not in
 * the page cache) and taken by the hypervisor (steal).
 */
export function hostCpuSince(before: ReturnType<typeof hostCpuTicks>): {
  busy_pct: number
  iowait_pct: number
  steal_pct: number
} {
  const now = hostCpuTicks()
  const total = now.total - before.total || 1
  const pct = (key: 'busy' | 'iowait' | 'steal') =>
    Math.round((1000 * (now[key] - before[key])) / total) / 10
  return { busy_pct: pct('busy'), iowait_pct: pct('iowait'), steal_pct: pct('steal') }
}
