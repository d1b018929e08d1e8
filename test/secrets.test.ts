/**
 * Secrets at rest, with the real `fado` bin started as a careless service would be (umask 022):
 * the data dir and everything in it stay private to FaDO's user, no storage secret key is in it
 * (the embedded database and its WAL included) or in a PostgreSQL dump, a token or key file that
 * others can read stops FaDO (exit 2, naming the file), a control with another secrets key
 * refuses a database sealed with the first, and tokens are managed from the CLI.
 */
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { cleanEnv, FADO_BIN, runFado, standaloneArgs } from './helpers/fado-process.js'
import { MINIO_PASSWORD, MINIO_USER, startMinio, type TestMinio } from './helpers/minio.js'
import { freePort, waitFor } from './helpers/ports.js'
import { createDatabase } from './helpers/postgres.js'

let minio: TestMinio
const dirs: string[] = []
const tempDir = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'fado-secrets-'))
  dirs.push(d)
  return d
}

beforeAll(async () => {
  minio = await startMinio()
})
afterAll(async () => {
  await minio?.destroy()
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true })
})

/** `fado …` under `umask 022`, as an init script or a careless shell would start it. */
function startLoose(args: string[], cwd: string, env: Record<string, string> = {}) {
  const child = spawn(
    'sh',
    ['-c', `umask 022; exec "${process.execPath}" "${FADO_BIN}" "$@"`, 'fado', ...args],
    {
      cwd,
      env: cleanEnv(env),
    },
  )
  let out = ''
  child.stdout.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr.on('data', (d: Buffer) => (out += d.toString()))
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)))
  return {
    output: () => out,
    async waitFor(pattern: RegExp) {
      await waitFor(`fado to print ${pattern}`, async () => {
        if (child.exitCode !== null) throw new Error(`fado exited ${child.exitCode}: ${out}`)
        return pattern.test(out)
      })
    },
    async stop() {
      child.kill('SIGTERM')
      return exited
    },
  }
}

/** Every path under `dir` whose mode lets group or others in. */
function openToOthers(dir: string): string[] {
  const found: string[] = []
  const walk = (p: string) => {
    const s = fs.lstatSync(p)
    if (s.isSymbolicLink()) return
    if (s.mode & 0o077) found.push(`${p} ${(s.mode & 0o777).toString(8)}`)
    if (s.isDirectory()) for (const n of fs.readdirSync(p)) walk(path.join(p, n))
  }
  walk(dir)
  return found
}

/** Files under `dir` that contain `needle` (as bytes), however binary they are. */
function filesContaining(dir: string, needle: string): string[] {
  const bytes = Buffer.from(needle)
  const found: string[] = []
  const walk = (p: string) => {
    const s = fs.lstatSync(p)
    if (s.isDirectory()) for (const n of fs.readdirSync(p)) walk(path.join(p, n))
    else if (s.isFile() && fs.readFileSync(p).includes(bytes)) found.push(p)
  }
  walk(dir)
  return found
}

async function api(base: string, token: string, method: string, p: string, body?: unknown) {
  const res = await fetch(`${base}${p}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  return { status: res.status, body: (await res.json().catch(() => undefined)) as any } // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON under test
}

describe('secrets at rest under umask 022', () => {
  it('the data dir is private, holds no storage secret, and a readable secret file stops FaDO', async () => {
    const cwd = tempDir()
    const { args, apiPort } = await standaloneArgs()
    const fado = startLoose(args, cwd)
    await fado.waitFor(/admin token/)
    const dataDir = path.join(cwd, '.fado')
    const token = fs.readFileSync(path.join(dataDir, 'admin-token'), 'utf8').trim()
    const base = `http://127.0.0.1:${apiPort}`
    const cluster = (await api(base, token, 'POST', '/api/clusters', { name: 'c' })).body.cluster_id
    const tracked = await api(base, token, 'POST', '/api/storage-deployments', {
      alias: 'm',
      cluster_id: cluster,
      endpoint: minio.endpoint,
      access_key: MINIO_USER,
      secret_key: MINIO_PASSWORD,
    })
    expect(tracked.status).toBe(201)
    await api(base, token, 'POST', '/api/buckets', {
      name: 'kept',
      storage_id: tracked.body.storage_id,
    })
    const upload = await fetch(`${base}/api/objects?path=kept/x`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}` },
      body: 'x',
    })
    expect(upload.status).toBe(201)
    // While running (WAL and all) and after a clean stop.
    expect(openToOthers(dataDir)).toEqual([])
    expect(fs.statSync(dataDir).mode & 0o777).toBe(0o700)
    expect(await fado.stop()).toBe(0)
    expect(openToOthers(dataDir)).toEqual([])
    expect(filesContaining(dataDir, MINIO_PASSWORD)).toEqual([])
    expect(fs.readdirSync(path.join(dataDir, 'pgdata')).length).toBeGreaterThan(5) // it did look

    // A secret file others could read: FaDO refuses to start, naming it.
    for (const file of ['admin-token', 'secrets.key']) {
      const target = path.join(dataDir, file)
      fs.chmodSync(target, 0o644)
      const refused = await runFado(args, { cwd })
      expect(refused.code, refused.stderr).toBe(2)
      expect(refused.stderr).toContain(target)
      expect(refused.stderr).toMatch(/readable or writable by others/)
      fs.chmodSync(target, 0o600)
    }
  })
})

describe('secrets in PostgreSQL', () => {
  it('a dump holds no usable storage credential; another secrets key is refused', async () => {
    const database = await createDatabase(inject('pgUrl'))
    const key = randomBytes(32).toString('base64')
    const apiPort = await freePort()
    const token = 'secrets-test-admin-token-0123'
    const args = [
      'control',
      '--database',
      database,
      '--api-port',
      String(apiPort),
      '--data-dir',
      tempDir(),
    ]
    const env = { FADO_ADMIN_TOKEN: token, FADO_SECRETS_KEY: key }
    const control = startLoose(args, tempDir(), env)
    await control.waitFor(/admin API/)
    const base = `http://127.0.0.1:${apiPort}`
    const cluster = (await api(base, token, 'POST', '/api/clusters', { name: 'c' })).body.cluster_id
    expect(
      (
        await api(base, token, 'POST', '/api/storage-deployments', {
          alias: 'm',
          cluster_id: cluster,
          endpoint: minio.endpoint,
          access_key: MINIO_USER,
          secret_key: MINIO_PASSWORD,
        })
      ).status,
    ).toBe(201)
    expect(await control.stop()).toBe(0)

    const db = new pg.Client({ connectionString: database })
    await db.connect()
    try {
      const rows = (await db.query('SELECT * FROM storage_deployments')).rows
      expect(JSON.stringify(rows)).not.toContain(MINIO_PASSWORD)
      expect(rows[0].secret_key).toMatch(/^v1:/)
    } finally {
      await db.end()
    }

    // Another key (or none: a fresh key file) cannot open those secrets: refused at start.
    const other = await runFado(args, {
      env: { FADO_ADMIN_TOKEN: token, FADO_SECRETS_KEY: randomBytes(32).toString('base64') },
    })
    expect(other.code).toBe(2)
    expect(other.stderr).toMatch(/encrypted with another key/)
    // The right key works again, and the deployment is still usable.
    const again = startLoose(args, tempDir(), env)
    await again.waitFor(/admin API/)
    const buckets = await api(base, token, 'GET', '/api/storage-deployments')
    expect(buckets.body[0].alias).toBe('m')
    const made = await api(base, token, 'POST', '/api/buckets', {
      name: 'made-after-restart',
      storage_id: buckets.body[0].storage_id,
    })
    expect(made.status).toBe(201) // the sealed secret opened: MinIO accepted the request
    expect(await again.stop()).toBe(0)
  })
})

describe('fado token', () => {
  it('creates, lists and revokes tokens on a running control', async () => {
    const cwd = tempDir()
    const { args, apiPort } = await standaloneArgs('--database', 'memory')
    const fado = startLoose(args, cwd)
    await fado.waitFor(/admin token/)
    const tokenArgs = ['--api-port', String(apiPort)]
    // The admin token comes from the data dir, as for a person on the control host.
    const created = await runFado(
      [
        'token',
        'create',
        '--scope',
        'notify',
        '--name',
        'minio-hooks',
        '--storage',
        'minio-1',
        ...tokenArgs,
      ],
      { cwd },
    )
    expect(created.code, created.stderr).toBe(0)
    const secret = created.stdout.trim().split('\n').at(-1) as string
    expect(secret).toMatch(/^fado_notify_/)
    const base = `http://127.0.0.1:${apiPort}`
    expect((await api(base, secret, 'POST', '/api/notify', { Records: [] })).status).toBe(200)
    const listed = await runFado(['token', 'list', ...tokenArgs], { cwd })
    expect(listed.stdout).toMatch(/^\s+1\s+notify\s+minio-hooks/m)
    expect(listed.stdout).not.toContain(secret)
    const revoked = await runFado(['token', 'revoke', '--token-id', '1', ...tokenArgs], { cwd })
    expect(revoked.code, revoked.stderr).toBe(0)
    expect((await api(base, secret, 'POST', '/api/notify', { Records: [] })).status).toBe(401)
    const bad = await runFado(['token', 'create', '--scope', 'root', ...tokenArgs], { cwd })
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/--scope must be one of admin, edge, notify, metrics/)
    expect(await fado.stop()).toBe(0)
  })
})
