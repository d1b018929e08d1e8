/**
 * A real Prometheus server (Debian's `prometheus`) for tests: its own config and data dir,
 * scraping the given targets every second on loopback, queried through its HTTP API.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { stopChild } from '../../platform/child.js'
import { freePort, waitFor } from './ports.js'

export const PROMETHEUS = 'prometheus'

export interface ScrapeJob {
  job: string
  /** host:port */
  target: string
  path?: string
  /** Sent as Authorization: Bearer. */
  token?: string
}

export interface TestPrometheus {
  url: string
  /** An instant query: the vector's samples (labels and value). */
  query(promql: string): Promise<{ metric: Record<string, string>; value: number }[]>
  /** The scrape targets' health as Prometheus sees it. */
  targets(): Promise<{ job: string; health: string; lastError: string }[]>
  stop(): Promise<void>
}

export function requirePrometheus(): void {
  if (spawnSync('sh', ['-c', `command -v ${PROMETHEUS}`]).status !== 0)
    throw new Error(
      'Prometheus is not installed. Install it with: npm run setup (or: apt-get install -y prometheus)',
    )
}

export async function startPrometheus(jobs: ScrapeJob[]): Promise<TestPrometheus> {
  requirePrometheus()
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fado-prometheus-'))
  const port = await freePort()
  const config = [
    'global:',
    '  scrape_interval: 1s',
    '  scrape_timeout: 900ms',
    'scrape_configs:',
    ...jobs.flatMap((j) => [
      `  - job_name: ${JSON.stringify(j.job)}`,
      `    metrics_path: ${JSON.stringify(j.path ?? '/metrics')}`,
      ...(j.token ? ['    authorization:', `      credentials: ${JSON.stringify(j.token)}`] : []),
      `    static_configs:`,
      `      - targets: [${JSON.stringify(j.target)}]`,
    ]),
  ].join('\n')
  fs.writeFileSync(path.join(dir, 'prometheus.yml'), config + '\n', { mode: 0o600 })
  let log = ''
  const child: ChildProcess = spawn(
    PROMETHEUS,
    [
      `--config.file=${path.join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  child.stdout?.on('data', (d: Buffer) => (log += d.toString()))
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()))
  const url = `http://127.0.0.1:${port}`
  const stop = async () => {
    await stopChild(child)
    fs.rmSync(dir, { recursive: true, force: true })
  }
  try {
    await waitFor(
      `Prometheus ready (${log.slice(-300)})`,
      async () => {
        if (child.exitCode !== null) throw new Error(`prometheus exited: ${log.slice(-500)}`)
        return (await fetch(`${url}/-/ready`).catch(() => undefined))?.ok === true
      },
      30_000,
    )
  } catch (err) {
    await stop()
    throw err
  }
  const api = async (p: string) => {
    const res = await fetch(`${url}${p}`, { signal: AbortSignal.timeout(10_000) })
    const body = (await res.json()) as { status: string; data: unknown; error?: string }
    if (body.status !== 'success') throw new Error(`prometheus ${p}: ${body.error ?? res.status}`)
    return body.data
  }
  return {
    url,
    async query(promql) {
      const data = (await api(`/api/v1/query?query=${encodeURIComponent(promql)}`)) as {
        result: { metric: Record<string, string>; value: [number, string] }[]
      }
      return data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }))
    },
    async targets() {
      const data = (await api('/api/v1/targets')) as {
        activeTargets: { labels: { job: string }; health: string; lastError: string }[]
      }
      return data.activeTargets.map((t) => ({
        job: t.labels.job,
        health: t.health,
        lastError: t.lastError,
      }))
    },
    stop,
  }
}
