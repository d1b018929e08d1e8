/**
 * Runs single-drive MinIO servers on loopback: for `fado demo`, the tests and the benchmarks.
 * Waits until /minio/health/cluster answers 200 (IAM ready) and, with a webhook target, until
 * the target is registered. The binary comes from `go install` (see scripts/setup.ts).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Agent, fetch as undiciFetch } from 'undici'
import { S3Storage } from '../control/storage/s3.js'
import { findBinary } from './child.js'
import { freePort, waitFor } from './ports.js'
import { serverInfo } from '../control/storage/admin-api.js'

/** MinIO's source of February 2026 (the community edition ships source only); see TOOLCHAIN.md. */
export const MINIO_MODULE = 'github.com/minio/minio@v0.0.0-20260212201848-7aac2a2c5b7c'
export const MINIO_INSTALL_HINT = `npm run setup   (runs: go install ${MINIO_MODULE})`

export const MINIO_USER = 'fado-test-admin'
export const MINIO_PASSWORD = 'fado-test-secret-key-123'

const has = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0

/** The MinIO server binary: $FADO_MINIO_BIN, on PATH, or in Go's bin folder. */
export const minioPath = (): string | undefined => findBinary('minio', 'FADO_MINIO_BIN')

export const goAvailable = (): boolean => has('go')

/** A webhook notification target (id FADO), as an operator would configure it for FaDO. */
export interface WebhookTarget {
  endpoint: string
  token: string
}

export interface MinioServer {
  endpoint: string
  port: number
  dataDir: string
  storage(): S3Storage
  /** Stops the server (data kept) — an outage. */
  stop(): Promise<void>
  /** SIGKILL: the server dies at once, mid-request (data kept). */
  kill(): Promise<void>
  /** SIGSTOP: the server keeps its port and accepts connections but answers nothing. */
  pause(): void
  /** SIGCONT after pause(). */
  resume(): void
  /** Starts it again on the same port and data. */
  start(): Promise<void>
  /** Stops it and deletes its data. */
  destroy(): Promise<void>
}

export async function startMinioServer(opts: {
  bin: string
  webhook?: WebhookTarget | undefined
  parentDir?: string
  /** A region the server requires requests to be signed for (MINIO_SITE_REGION). */
  region?: string
  /** Serve HTTPS with this certificate and key; `ca` is what the readiness check trusts. */
  tls?: { certFile: string; keyFile: string; ca: Buffer }
  /** More of MinIO's environment (e.g. another notification target of its operator's). */
  env?: Record<string, string>
  /**
   * Serve an earlier server's directory (its `data/` as left), kept on destroy — a bench reuses
   * what took long to seed.
   */
  root?: string
}): Promise<MinioServer> {
  const root = opts.root ?? fs.mkdtempSync(path.join(opts.parentDir ?? os.tmpdir(), 'fado-minio-'))
  const dataDir = path.join(root, 'data')
  fs.mkdirSync(dataDir, { recursive: true })
  const certsDir = path.join(root, 'certs')
  if (opts.tls) {
    fs.mkdirSync(certsDir, { mode: 0o700 })
    fs.copyFileSync(opts.tls.certFile, path.join(certsDir, 'public.crt'))
    fs.copyFileSync(opts.tls.keyFile, path.join(certsDir, 'private.key'))
  }
  const scheme = opts.tls ? 'https' : 'http'
  const trust = opts.tls ? new Agent({ connect: { ca: opts.tls.ca } }) : undefined
  const port = await freePort()
  const consolePort = await freePort()
  const endpoint = `127.0.0.1:${port}`
  const storage = () =>
    new S3Storage({
      endpoint,
      use_ssl: opts.tls !== undefined,
      access_key: MINIO_USER,
      secret_key: MINIO_PASSWORD,
      region: opts.region,
    })
  let child: ChildProcess | undefined
  let log = ''

  const start = async () => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      MINIO_ROOT_USER: MINIO_USER,
      MINIO_ROOT_PASSWORD: MINIO_PASSWORD,
      MINIO_BROWSER: 'off',
      MINIO_UPDATE: 'off',
      MINIO_CI_CD: '1',
      ...(opts.region ? { MINIO_SITE_REGION: opts.region } : {}),
      ...opts.env,
    }
    if (opts.webhook) {
      env.MINIO_NOTIFY_WEBHOOK_ENABLE_FADO = 'on'
      env.MINIO_NOTIFY_WEBHOOK_ENDPOINT_FADO = opts.webhook.endpoint
      env.MINIO_NOTIFY_WEBHOOK_AUTH_TOKEN_FADO = opts.webhook.token
      // No queue dir: with one, MinIO drains its queue only every ~3 s. What is missed while
      // FaDO is down is repaired by FaDO's full pass at start and periodically.
    }
    const proc = spawn(
      opts.bin,
      [
        'server',
        dataDir,
        '--address',
        endpoint,
        '--console-address',
        `127.0.0.1:${consolePort}`,
        ...(opts.tls ? ['--certs-dir', certsDir] : []),
        '--quiet',
      ],
      {
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    child = proc
    proc.stdout?.on('data', (d: Buffer) => (log += d.toString()))
    proc.stderr?.on('data', (d: Buffer) => (log += d.toString()))
    await waitFor(
      `MinIO on port ${port}`,
      async () => {
        if (proc.exitCode !== null) throw new Error(`minio exited with ${proc.exitCode}: ${log}`)
        const res = await undiciFetch(`${scheme}://${endpoint}/minio/health/cluster`, {
          signal: AbortSignal.timeout(2000),
          ...(trust ? { dispatcher: trust } : {}),
        })
        return res.status === 200
      },
      60_000,
    )
    if (opts.webhook) {
      // Notification targets load shortly after the server answers; wait for FaDO's.
      await waitFor(
        'the FADO webhook target to be registered',
        async () => (await serverInfo(storage())).sqsArns.length > 0,
        30_000,
      )
    }
  }

  const stop = async () => {
    const proc = child
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return
    const exited = new Promise((r) => proc.once('exit', r))
    proc.kill('SIGCONT') // a paused server cannot act on SIGTERM
    proc.kill('SIGTERM')
    const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000)
    await exited
    clearTimeout(timer)
  }

  const kill = async () => {
    const proc = child
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return
    const exited = new Promise((r) => proc.once('exit', r))
    proc.kill('SIGCONT')
    proc.kill('SIGKILL')
    await exited
  }

  await start()
  return {
    endpoint,
    port,
    dataDir,
    storage,
    stop,
    kill,
    pause: () => child?.kill('SIGSTOP'),
    resume: () => child?.kill('SIGCONT'),
    start,
    async destroy() {
      await stop()
      if (!opts.root) fs.rmSync(root, { recursive: true, force: true })
    },
  }
}
