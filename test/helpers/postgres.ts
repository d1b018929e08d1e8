/**
 * Starts a real, throw-away PostgreSQL server (Debian's `postgresql` package) on a free loopback
 * port with its data in a temp dir. As root it runs the server as the `postgres` user, since
 * PostgreSQL refuses to run as root. Missing binaries fail loudly with the install command.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { freePort, waitFor } from './ports.js'

export const INSTALL_POSTGRES = 'apt-get update && apt-get install -y postgresql'

function findBinDir(): string {
  const candidates = [
    ...(process.env.PATH ?? '').split(':'),
    ...(fs.existsSync('/usr/lib/postgresql')
      ? fs
          .readdirSync('/usr/lib/postgresql')
          .sort((a, b) => Number(b) - Number(a))
          .map((v) => `/usr/lib/postgresql/${v}/bin`)
      : []),
  ]
  for (const dir of candidates) {
    if (
      dir &&
      fs.existsSync(path.join(dir, 'initdb')) &&
      fs.existsSync(path.join(dir, 'postgres'))
    ) {
      return dir
    }
  }
  throw new Error(
    `PostgreSQL server binaries (initdb, postgres) not found. Install them with: ${INSTALL_POSTGRES}`,
  )
}

export interface TestPostgres {
  /** URL of the `postgres` database, for creating one database per test file. */
  url: string
  /** SIGSTOP the postmaster and every backend: connections are accepted, nothing answers. */
  pause(): void
  /** SIGCONT after pause(). */
  resume(): void
  /** Fast shutdown (SIGINT), then start again on the same port and data. */
  restart(): Promise<void>
  stop(): Promise<void>
}

export async function startPostgres(): Promise<TestPostgres> {
  const bin = findBinDir()
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fado-pg-'))
  // PostgreSQL refuses to run as root: as root, run it as the `postgres` user the package creates.
  const user: { uid?: number; gid?: number } = process.getuid?.() === 0 ? postgresUser() : {}
  if (user.uid !== undefined && user.gid !== undefined) fs.chownSync(dir, user.uid, user.gid)
  const data = path.join(dir, 'data')
  execFileSync(
    path.join(bin, 'initdb'),
    ['-D', data, '-U', 'fado', '--auth=trust', '-E', 'UTF8', '--no-sync'],
    { stdio: 'pipe', cwd: dir, ...user },
  )

  const port = await freePort()
  const args = [
    '-D',
    data,
    '-p',
    String(port),
    '-k',
    dir,
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    'fsync=off',
    '-c',
    'synchronous_commit=off',
    '-c',
    'full_page_writes=off',
    '-c',
    'max_connections=200',
  ]
  const url = `postgres://fado@127.0.0.1:${port}/postgres`
  let child: ChildProcess
  let stderr = ''
  const start = async () => {
    stderr = ''
    child = spawn(path.join(bin, 'postgres'), args, {
      stdio: ['ignore', 'ignore', 'pipe'],
      cwd: dir,
      ...user,
    })
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()))
    try {
      await waitFor('PostgreSQL to accept connections', async () => {
        if (child.exitCode !== null) throw new Error(`postgres exited: ${stderr}`)
        const client = new pg.Client({ connectionString: url })
        try {
          await client.connect()
          return true
        } finally {
          await client.end().catch(() => {})
        }
      })
    } catch (err) {
      child.kill('SIGKILL')
      throw err
    }
  }
  const shutdown = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise((r) => child.once('exit', r))
    signalAll('SIGCONT')
    child.kill('SIGINT')
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))])
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  }
  /** The postmaster and its backends (children): a real stopped server stops all of them. */
  const signalAll = (signal: NodeJS.Signals) => {
    const pids = [child.pid, ...childPids(child.pid)].filter((p): p is number => p !== undefined)
    for (const pid of pids) {
      try {
        process.kill(pid, signal)
      } catch {
        // gone meanwhile
      }
    }
  }
  await start()
  return {
    url,
    pause: () => signalAll('SIGSTOP'),
    resume: () => signalAll('SIGCONT'),
    async restart() {
      await shutdown()
      await start()
    },
    async stop() {
      await shutdown()
      fs.rmSync(dir, { recursive: true, force: true })
    },
  }
}

function childPids(parent: number | undefined): number[] {
  if (parent === undefined) return []
  try {
    return fs
      .readFileSync(`/proc/${parent}/task/${parent}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number)
  } catch {
    return []
  }
}

function postgresUser(): { uid: number; gid: number } {
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim())
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim())
    return { uid, gid }
  } catch {
    throw new Error(
      `running as root needs the 'postgres' user to start PostgreSQL. Install it with: ${INSTALL_POSTGRES}`,
    )
  }
}

let counter = 0

/** A fresh, empty database on the test server; returns its URL. */
export async function createDatabase(serverUrl: string, prefix = 'fado_test'): Promise<string> {
  const name = `${prefix}_${process.pid}_${Date.now().toString(36)}_${counter++}`
  const client = new pg.Client({ connectionString: serverUrl })
  await client.connect()
  try {
    await client.query(`CREATE DATABASE ${name}`)
  } finally {
    await client.end()
  }
  const url = new URL(serverUrl)
  url.pathname = `/${name}`
  return url.toString()
}
