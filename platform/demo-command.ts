/**
 * `fado demo` as the CLI runs it (from its own bundle, dist/fado-demo.mjs): installs the MinIO
 * server when it is missing and Go is there, then starts the demo.
 */
import { execFileSync } from 'node:child_process'
import type { DemoConfig } from '../control/config.js'
import type { Logger } from '../edge/log.js'
import { startDemo, type DemoOptions, type RunningDemo } from './demo.js'
import { goAvailable, MINIO_MODULE, minioPath } from './minio-server.js'

export async function runDemo(
  config: DemoConfig,
  log: Logger,
  options: DemoOptions,
): Promise<RunningDemo> {
  if (!minioPath() && goAvailable()) {
    process.stdout.write(
      `The MinIO server is missing; installing it: go install ${MINIO_MODULE} (a few minutes)\n`,
    )
    execFileSync('go', ['install', MINIO_MODULE], { stdio: 'inherit' })
  }
  return startDemo(config, log, options)
}
