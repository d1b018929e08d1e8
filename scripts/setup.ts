/**
 * Installs what FaDO's tests need on this machine, skipping what is already there:
 * PostgreSQL server (Debian `postgresql`), Chromium for the admin page's browser tests (Debian
 * `chromium`, with a font so pages render text), Prometheus (Debian `prometheus`, which the
 * metrics tests start with a config of their own), the MinIO server, built from its Go module
 * with `go install` as MinIO's README recommends (a pinned version; several minutes on 2 cores),
 * and SeaweedFS's `weed`, built from its Go module the same way where `go install` refuses it.
 * Run with `npm run setup`; .ci/run runs it on every fresh machine.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { MINIO_MODULE, minioPath } from '../platform/minio-server.js'
import { SEAWEED_MODULE, weedPath } from '../platform/seaweed-server.js'
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
  buildSeaweed()
  console.log('setup: done')
}

/**
 * SeaweedFS's `weed`, built from its Go module at the pinned version: `go install` refuses this
 * module (its go.mod has replace directives), so the module is downloaded, copied somewhere
 * writable and built there (~5 minutes on 2 cores).
 */
function buildSeaweed(): void {
  const present = weedPath()
  if (present) {
    console.log(`setup: SeaweedFS present at ${present}`)
    return
  }
  if (!has('go'))
    throw new Error(
      `SeaweedFS (weed) is missing and Go is not installed to build it (${SEAWEED_MODULE})`,
    )
  console.log(`setup: go mod download -json ${SEAWEED_MODULE}`)
  const info = JSON.parse(
    execFileSync('go', ['mod', 'download', '-json', SEAWEED_MODULE], { encoding: 'utf8' }),
  ) as { Dir?: string; Error?: string }
  if (!info.Dir)
    throw new Error(`go mod download ${SEAWEED_MODULE} failed: ${info.Error ?? 'no Dir'}`)
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'fado-weed-src-'))
  try {
    fs.cpSync(info.Dir, work, { recursive: true })
    run('chmod', ['-R', 'u+w', work])
    const bin = path.join(execFileSync('go', ['env', 'GOPATH'], { encoding: 'utf8' }).trim(), 'bin')
    fs.mkdirSync(bin, { recursive: true })
    execFileSync('go', ['build', '-o', path.join(bin, 'weed'), './weed'], {
      cwd: work,
      stdio: 'inherit',
    })
    console.log(`setup: SeaweedFS built at ${path.join(bin, 'weed')}`)
  } finally {
    fs.rmSync(work, { recursive: true, force: true })
  }
}

if (import.meta.url === `file://${process.argv[1]}`) main()
