/**
 * Installs what FaDO's tests need on this machine, skipping what is already there:
 * PostgreSQL server (Debian `postgresql`), Chromium for the admin page's browser tests (Debian
 * `chromium`, with a font so pages render text), Prometheus (Debian `prometheus`, which the
 * metrics tests start with a config of their own), and the MinIO server, built from its Go module
 * with `go install` as MinIO's README recommends (a pinned version; several minutes on 2 cores).
 * Run with `npm run setup`; .ci/run runs it on every fresh machine.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import { MINIO_MODULE, minioPath } from '../control/demo/minio-server.js'
import { CHROMIUM } from '../test/helpers/browser.js'
import { PROMETHEUS } from '../test/helpers/prometheus.js'

const has = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0

function postgresInstalled(): boolean {
  if (has('initdb') && has('postgres')) return true
  return (
    fs.existsSync('/usr/lib/postgresql') &&
    fs
      .readdirSync('/usr/lib/postgresql')
      .some((v) => fs.existsSync(`/usr/lib/postgresql/${v}/bin/initdb`))
  )
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): void {
  console.log(`setup: ${cmd} ${args.join(' ')}`)
  execFileSync(cmd, args, { stdio: 'inherit', env })
}

function aptInstall(packages: string[]): void {
  if (packages.length === 0) return
  if (process.getuid?.() !== 0) {
    throw new Error(
      `missing Debian packages: ${packages.join(' ')}. Install them with: sudo apt-get install -y ${packages.join(' ')}`,
    )
  }
  run('apt-get', ['update', '-qq'])
  run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], {
    ...process.env,
    DEBIAN_FRONTEND: 'noninteractive',
  })
}

function main(): void {
  const packages: string[] = []
  if (!postgresInstalled()) packages.push('postgresql')
  if (!fs.existsSync(CHROMIUM)) packages.push('chromium', 'fonts-dejavu-core')
  if (!has(PROMETHEUS)) packages.push('prometheus')
  aptInstall(packages)

  const minio = minioPath()
  if (minio) {
    console.log(`setup: MinIO server present at ${minio}`)
  } else {
    if (!has('go'))
      throw new Error(
        `the MinIO server is missing and Go is not installed to build it (go install ${MINIO_MODULE})`,
      )
    run('go', ['install', MINIO_MODULE])
    console.log(`setup: MinIO server installed at ${minioPath() ?? '(not found after install?)'}`)
  }
  console.log('setup: done')
}

if (import.meta.url === `file://${process.argv[1]}`) main()
