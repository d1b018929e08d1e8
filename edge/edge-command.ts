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
import { addHistogram, MAX_REPORT_ENTRIES, type StatsEntry } from './invocation-stats.js'
import { pollSnapshots } from './snapshot-source.js'
import { SnapshotStore } from './snapshot-store.js'
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

/**
 * Sends control what the workers counted (for the admin page's charts) every 5 s, merged per
 * bucket and cluster; figures control could not take are kept for the next try (bounded).
 */
function statsReporter(opts: EdgeCommandOptions) {
  let pending = new Map<string, StatsEntry>()
  let warned = false
  const timer = setInterval(() => {
    if (pending.size === 0) return
    const all = [...pending.values()]
    pending = new Map()
    // Control takes at most MAX_REPORT_ENTRIES entries a report.
    for (let at = 0; at < all.length; at += MAX_REPORT_ENTRIES) {
      const entries = all.slice(at, at + MAX_REPORT_ENTRIES)
      fetch(`${opts.controlUrl}/api/edge-stats`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${opts.controlToken}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ entries }),
        signal: AbortSignal.timeout(5_000),
      })
        .then(async (res) => {
          await res.body?.cancel()
          if (!res.ok) throw new Error(`control answered ${res.status}`)
          warned = false
        })
        .catch((err: unknown) => {
          if (!warned)
            opts.log.warn('could not report invocation figures to control', { error: err })
          warned = true
          if (pending.size < 10_000) add(entries)
        })
    }
  }, 5_000)
  timer.unref()
  const add = (entries: readonly StatsEntry[]) => {
    for (const e of entries) {
      const key = `${e.bucket}\n${e.cluster}`
      const into = pending.get(key)
      if (!into) pending.set(key, { ...e, hist: [...e.hist] })
      else {
        into.count += e.count
        into.errors += e.errors
        addHistogram(into.hist, e.hist)
      }
    }
  }
  return { add, stop: () => clearInterval(timer) }
}
