/**
 * `fado edge`: route snapshots pulled from control (one long poll for all workers, with an
 * edge-scope token), the last good one kept on disk and served after a restart while control is
 * unreachable, invocations served by worker processes on every core.
 */
import fs from 'node:fs'
import path from 'node:path'
import type { LogFormat, Logger } from './log.js'
import type { EdgeServerOptions } from './node.js'
import { startEdgeWorkers, type EdgeWorkers } from './node-workers.js'
import type { StatsEntry } from './invocation-stats.js'
import { pollSnapshots } from './snapshot-source.js'
import { SnapshotStore } from './snapshot-store.js'
import { StatsReport } from './stats-report.js'
import { tokenHash } from './status-access.js'

export interface EdgeCommandOptions extends EdgeServerOptions {
  controlUrl: string
  controlToken: string
  dataDir: string
  workers: number
  log: Logger
  quiet: boolean
  logFormat?: LogFormat
  metrics?: { host: string; port: number } | undefined
}

export interface RunningEdgeCommand {
  edge: EdgeWorkers
  store: SnapshotStore
  close(): Promise<void>
}

export async function startEdgeFromControl(opts: EdgeCommandOptions): Promise<RunningEdgeCommand> {
  const { log } = opts
  const file = path.join(opts.dataDir, 'edge-snapshot.json')
  const reporter = statsReporter(opts)
  const edge = await startEdgeWorkers({
    ...opts,
    // The full /_fado/status is for whoever holds this edge's own token.
    statusTokenHash: await tokenHash(opts.controlToken),
    onStats: (entries) => reporter.add(entries),
  })
  const store = new SnapshotStore((snapshot) => {
    fs.mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 })
    fs.writeFileSync(`${file}.tmp`, JSON.stringify(snapshot), { mode: 0o600 })
    fs.renameSync(`${file}.tmp`, file)
    edge.offer(snapshot)
    log.info('serving route snapshot', { version: snapshot.version })
  })
  try {
    const saved: unknown = JSON.parse(fs.readFileSync(file, 'utf8'))
    // Served only until control answers: whatever it sends first replaces this.
    const result = store.offer(saved, { provisional: true })
    if (result.applied) log.info('restored last good route snapshot', { version: result.version })
  } catch {
    // No saved snapshot yet (first start) or an unreadable one: wait for control.
  }
  const stop = pollSnapshots({
    url: `${opts.controlUrl}/api/snapshot`,
    token: opts.controlToken,
    store,
    log,
    onResult: () => edge.refused(store.refused),
  })
  return {
    edge,
    store,
    async close() {
      stop()
      reporter.stop()
      await edge.close()
    },
  }
}

/** Sends control what the workers counted every 5 s (stats-report.ts). */
function statsReporter(opts: EdgeCommandOptions) {
  const report = new StatsReport()
  let warned = false
  const timer = setInterval(() => {
    if (report.size === 0) return
    report.send(opts.controlUrl, opts.controlToken).then(
      () => (warned = false),
      (err: unknown) => {
        if (!warned) opts.log.warn('could not report invocation figures to control', { error: err })
        warned = true
      },
    )
  }, 5_000)
  timer.unref()
  return {
    add: (entries: readonly StatsEntry[]) => report.add(entries),
    stop: () => clearInterval(timer),
  }
}
