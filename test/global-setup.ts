/**
 * Once per test run: bundle the CLI (tests run the real `fado` bin) and the Worker, and start one real
 * PostgreSQL server; each test file makes its own database on it.
 */
import { execFileSync } from 'node:child_process'
import type {} from 'vitest'
import type { TestProject } from 'vitest/node'
import { startPostgres } from './helpers/postgres.js'

declare module 'vitest' {
  export interface ProvidedContext {
    pgUrl: string
  }
}

export default async function setup(project: TestProject) {
  execFileSync(process.execPath, ['--import', 'tsx', 'scripts/build.ts'], { stdio: 'inherit' })
  execFileSync(process.execPath, ['--import', 'tsx', 'scripts/build-worker.ts'], {
    stdio: 'inherit',
  })
  const postgres = await startPostgres()
  project.provide('pgUrl', postgres.url)
  return () => postgres.stop()
}
