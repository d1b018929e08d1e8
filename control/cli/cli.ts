/**
 * `fado <command> [options]`: standalone | control | edge | agent | demo | migrate | token. Exit codes:
 * 0 done or stopped by SIGINT/SIGTERM, 1 failed at run time, 2 bad command line or configuration.
 * Everything FaDO writes is private to its user (umask 077).
 */
import v8 from 'node:v8'
import { startEdgeFromControl } from '../../edge/edge-command.js'
import { startAgent } from '../../agent/agent-command.js'
import { edgeServing } from '../config.js'
import { ConfigError } from '../lib/errors.js'
import { COMMANDS, helpText, parseConfig, type CommandName } from './commands.js'
import type * as Demo from '../../platform/demo-command.js'
import { createLogger } from '../../edge/log.js'
import { runMigrate, startControl } from '../main.js'
import { restrictUmask } from '../auth/private-files.js'
import { runTokenCommand, TOKEN_SUBCOMMANDS } from './token-command.js'

/**
 * `fado demo`'s local platform (MinIO and function-server launchers, WAN relays, their test
 * credentials) is a bundle of its own next to this one (scripts/build.ts), loaded only by the
 * demo: none of it ships in the code that runs control or the edge.
 */
const DEMO_BUNDLE = new URL('./fado-demo.mjs', import.meta.url).href

const isCommand = (c: string | undefined): c is CommandName =>
  c !== undefined && Object.hasOwn(COMMANDS, c)

/** Secrets on stdout end up in service logs: only a person at a terminal gets them printed. */
const toTerminal = (): boolean => process.stdout.isTTY === true

/**
 * The embedded database is WebAssembly: V8's optimising tier would compile its hot functions a
 * second time, for ~100 MB more memory and no measurable gain on FaDO's small queries (see
 * bench/README.md). Set before anything compiles WebAssembly. (Heap sizes cannot be set here: V8
 * sizes its heap when the process starts — the edge workers get theirs in their `execArgv`.)
 */
function tuneV8(): void {
  v8.setFlagsFromString('--liftoff-only')
  // V8 lets the old generation grow to ~3× what survived the last full collection before the next
  // one; a pass's short-lived records and pages reach the old generation (a 2 MB young one) and
  // filled it to 48-78 MB before it was collected. 1.5× keeps it near 25 MB, for ~45 MB less
  // resident at a first pass's peak and no slower pass (bench/README.md). Read at each
  // collection, so it holds when set here.
  v8.setFlagsFromString('--heap-growing-percent=50')
}

async function main(argv: string[]): Promise<number> {
  tuneV8()
  restrictUmask()
  const [command, ...args] = argv
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(helpText(isCommand(args[0]) ? args[0] : undefined) + '\n')
    return command === undefined ? 2 : 0
  }
  if (!isCommand(command)) {
    process.stderr.write(`fado: unknown command '${command}'\n\n${helpText()}\n`)
    return 2
  }
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(helpText(command) + '\n')
    return 0
  }
  let rest = args
  let subcommand: string | undefined
  if (command === 'token') {
    subcommand = args[0]
    rest = args.slice(1)
    if (!subcommand || !(TOKEN_SUBCOMMANDS as readonly string[]).includes(subcommand))
      throw new ConfigError(`fado token needs one of: ${TOKEN_SUBCOMMANDS.join(', ')}`)
  }
  const config = parseConfig(command, rest)
  const log = createLogger(undefined, config.logLevel === 'warn', config.logFormat)

  if (command === 'migrate') {
    await runMigrate(config, log)
    return 0
  }
  if (command === 'token') {
    process.stdout.write(
      await runTokenCommand(subcommand as (typeof TOKEN_SUBCOMMANDS)[number], config),
    )
    return 0
  }

  let close: () => Promise<void>
  /** What the process prints once it runs: written after its signal handlers are in place, so a
   * caller that stops it as soon as it reads this gets a clean shutdown. */
  let summary: string
  /** Resolves with the exit code when the process ends on its own (an agent refused by control). */
  let ended: Promise<number> | undefined
  if (command === 'agent') {
    const running = startAgent({
      controlUrl: config.controlUrl as string,
      token: config.token as string,
      cluster: config.cluster as string,
      storageEndpoints: config.storageEndpoint ?? {},
      concurrency: config.agentConcurrency,
      storageTimeoutMs: config.storageTimeout,
      log,
    })
    close = running.close
    ended = running.stopped.then(async () => {
      await running.close()
      return 1
    })
    summary = `FaDO agent ${running.agentId}\n  cluster   ${config.cluster}\n  control   ${config.controlUrl}\n`
  } else if (command === 'demo') {
    const { runDemo } = (await import(DEMO_BUNDLE)) as typeof Demo
    const demo = await runDemo(config, log, { showToken: toTerminal() })
    close = demo.close
    summary = demo.summary + '\n'
  } else if (command === 'edge') {
    const running = await startEdgeFromControl({
      ...edgeServing(config),
      controlUrl: config.controlUrl as string,
      controlToken: config.controlToken as string,
      dataDir: config.dataDir,
      log,
    })
    close = running.close
    summary = `FaDO edge\n  invocations  ${running.edge.url}/  (${running.edge.workers} worker${running.edge.workers === 1 ? '' : 's'})\n${config.zone ? `  zone         ${config.zone}\n` : ''}  control      ${config.controlUrl}\n${running.edge.metricsUrl ? `  metrics      ${running.edge.metricsUrl}\n` : ''}`
  } else {
    const running = await startControl(config, log, command === 'standalone')
    close = running.close
    const token = running.adminToken
    const login =
      token.source === 'configured'
        ? []
        : toTerminal()
          ? [
              `  login URL       ${running.apiUrl}/#token=${token.token}  (signs this browser tab in)`,
            ]
          : [`  login URL       ${running.apiUrl}/#token=<the token in ${token.file}>`]
    const lines = [
      `FaDO ${command}`,
      `  admin page      ${running.apiUrl}/`,
      `  admin API       ${running.apiUrl}/api`,
      ...login,
      ...(running.edgeUrl
        ? [
            `  invocations     ${running.edgeUrl}/  (header ${(await running.publisher.publishNow())?.match_header ?? 'X-FaDO-Bucket'})`,
            ...(config.edgeZone ? [`  edge zone       ${config.edgeZone}`] : []),
          ]
        : []),
      `  metrics         ${running.apiUrl}/metrics  (admin or metrics-scope token)`,
      ...(running.edgeMetricsUrl ? [`  edge metrics    ${running.edgeMetricsUrl}`] : []),
      `  database        ${running.db.description}`,
      `  admin token     ${token.source === 'configured' ? 'from --admin-token / FADO_ADMIN_TOKEN' : token.source === 'generated' ? `generated, stored in ${token.file}` : `read from ${token.file}`}`,
    ]
    summary = lines.join('\n') + '\n'
  }

  return new Promise<number>((resolve) => {
    void ended?.then(resolve)
    let stopping = false
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        process.stderr.write(`fado: ${signal} again, exiting now\n`)
        process.exit(1)
      }
      stopping = true
      log.info('shutting down', { signal })
      close().then(
        () => resolve(0),
        (err: unknown) => {
          log.error('shutdown failed', { error: err })
          resolve(1)
        },
      )
    }
    process.on('SIGINT', stop)
    process.on('SIGTERM', stop)
    process.stdout.write(summary)
  })
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof ConfigError) {
      process.stderr.write(`fado: ${err.message}\n`)
      process.exit(2)
    }
    process.stderr.write(`fado: ${err instanceof Error ? err.message : String(err)}\n`)
    process.exit(1)
  },
)
