/**
 * `fado <command> [options]`: standalone | control | edge | migrate. Exit codes: 0 done or stopped
 * by SIGINT/SIGTERM, 1 failed at run time, 2 bad command line or configuration.
 */
import { startEdgeFromControl } from '../edge/node.js'
import { COMMANDS, ConfigError, helpText, parseConfig, type CommandName } from './config.js'
import { createLogger } from './log.js'
import { runMigrate, startControl } from './main.js'
import { startDemo } from './demo/demo.js'
import { goAvailable, MINIO_MODULE, minioPath } from './demo/minio-server.js'
import { execFileSync } from 'node:child_process'

const isCommand = (c: string | undefined): c is CommandName =>
  c !== undefined && Object.hasOwn(COMMANDS, c)

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(helpText(isCommand(rest[0]) ? rest[0] : undefined) + '\n')
    return command === undefined ? 2 : 0
  }
  if (!isCommand(command)) {
    process.stderr.write(`fado: unknown command '${command}'\n\n${helpText()}\n`)
    return 2
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(helpText(command) + '\n')
    return 0
  }
  const config = parseConfig(command, rest)
  const log = createLogger(undefined, config.logLevel === 'warn')

  if (command === 'migrate') {
    await runMigrate(config, log)
    return 0
  }

  let close: () => Promise<void>
  if (command === 'demo') {
    if (!minioPath() && goAvailable()) {
      process.stdout.write(
        `The MinIO server is missing; installing it: go install ${MINIO_MODULE} (a few minutes)\n`,
      )
      execFileSync('go', ['install', MINIO_MODULE], { stdio: 'inherit' })
    }
    const demo = await startDemo(config, log)
    close = demo.close
    process.stdout.write(demo.summary + '\n')
  } else if (command === 'edge') {
    const edge = await startEdgeFromControl(config, log)
    close = edge.close
    process.stdout.write(
      `FaDO edge\n  invocations  ${edge.server.url}/\n  control      ${config.controlUrl}\n`,
    )
  } else {
    const running = await startControl(config, log, command === 'standalone')
    close = running.close
    const token = running.adminToken
    const lines = [
      `FaDO ${command}`,
      `  admin page      ${running.apiUrl}/`,
      `  admin API       ${running.apiUrl}/api`,
      ...(token.source === 'configured'
        ? []
        : [
            `  login URL       ${running.apiUrl}/#token=${token.token}  (signs this browser tab in)`,
          ]),
      ...(running.edgeUrl
        ? [
            `  invocations     ${running.edgeUrl}/  (header ${(await running.publisher.publishNow())?.match_header ?? 'X-FaDO-Bucket'})`,
          ]
        : []),
      `  database        ${running.db.description}`,
      `  admin token     ${token.source === 'configured' ? 'from --admin-token / FADO_ADMIN_TOKEN' : `${token.source}, stored in ${token.file}`}`,
    ]
    process.stdout.write(lines.join('\n') + '\n')
  }

  return new Promise<number>((resolve) => {
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
