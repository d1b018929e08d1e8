/**
 * Starts real single-drive MinIO servers on free loopback ports with temp data dirs, waits until
 * /minio/health/cluster answers 200 (IAM ready), and removes everything afterwards. A missing
 * binary fails loudly with the command that installs it.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { minioPath, MINIO_MODULE } from '../../scripts/setup.js'
import { S3Storage } from '../../control/storage/s3.js'
import { freePort, waitFor } from './ports.js'

export const MINIO_USER = 'fado-test-admin'
export const MINIO_PASSWORD = 'fado-test-secret-key-123'

export interface TestMinio {
  endpoint: string
  port: number
  dataDir: string
  /** Stops the server (data is kept) — to simulate an outage. */
  stop(): Promise<void>
  /** Starts it again on the same port and data. */
  start(): Promise<void>
  /** Stops it and deletes its data. */
  destroy(): Promise<void>
}

export function requireMinio(): string {
  const bin = minioPath()
  if (!bin) {
    throw new Error(
      `MinIO server binary not found. Install it with: npm run setup   (runs: go install ${MINIO_MODULE})`,
    )
  }
  return bin
}

/** A webhook notification target (id FADO), as an operator would configure it for FaDO. */
export interface WebhookTarget {
  endpoint: string
  token: string
}

export async function startMinio(webhook?: WebhookTarget): Promise<TestMinio> {
  const bin = requireMinio()
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'fado-minio-'))
  const dataDir = path.join(root, 'data')
  fs.mkdirSync(dataDir)
  const port = await freePort()
  const consolePort = await freePort()
  let child: ChildProcess | undefined
  let log = ''

  const start = async () => {
    child = spawn(
      bin,
      [
        'server',
        dataDir,
        '--address',
        `127.0.0.1:${port}`,
        '--console-address',
        `127.0.0.1:${consolePort}`,
        '--quiet',
      ],
      {
        env: {
          ...process.env,
          MINIO_ROOT_USER: MINIO_USER,
          MINIO_ROOT_PASSWORD: MINIO_PASSWORD,
          MINIO_BROWSER: 'off',
          MINIO_UPDATE: 'off',
          MINIO_CI_CD: '1',
          ...(webhook
            ? {
                MINIO_NOTIFY_WEBHOOK_ENABLE_FADO: 'on',
                MINIO_NOTIFY_WEBHOOK_ENDPOINT_FADO: webhook.endpoint,
                MINIO_NOTIFY_WEBHOOK_AUTH_TOKEN_FADO: webhook.token,
                // No queue dir: with one, MinIO drains its queue only every ~3 s. What is missed
                // while FaDO is down is repaired by FaDO's full pass at start and periodically.
              }
            : {}),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    const proc = child
    proc.stdout?.on('data', (d: Buffer) => (log += d.toString()))
    proc.stderr?.on('data', (d: Buffer) => (log += d.toString()))
    await waitFor(
      `MinIO on port ${port}`,
      async () => {
        if (proc.exitCode !== null) throw new Error(`minio exited with ${proc.exitCode}: ${log}`)
        const res = await fetch(`http://127.0.0.1:${port}/minio/health/cluster`, {
          signal: AbortSignal.timeout(2000),
        })
        return res.status === 200
      },
      60_000,
    )
    if (webhook) {
      // Notification targets load shortly after the server answers; wait for FaDO's.
      const s3 = new S3Storage({
        endpoint: `127.0.0.1:${port}`,
        use_ssl: false,
        access_key: MINIO_USER,
        secret_key: MINIO_PASSWORD,
      })
      await waitFor(
        'the FADO webhook target to be registered',
        async () => (await s3.serverInfo()).sqsArns.length > 0,
        30_000,
      )
    }
  }

  const stop = async () => {
    const proc = child
    if (!proc || proc.exitCode !== null) return
    const exited = new Promise((r) => proc.once('exit', r))
    proc.kill('SIGTERM')
    const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000)
    await exited
    clearTimeout(timer)
  }

  await start()
  return {
    endpoint: `127.0.0.1:${port}`,
    port,
    dataDir,
    stop,
    start,
    async destroy() {
      await stop()
      fs.rmSync(root, { recursive: true, force: true })
    },
  }
}

export async function startMinios(n: number, webhook?: WebhookTarget): Promise<TestMinio[]> {
  return Promise.all(Array.from({ length: n }, () => startMinio(webhook)))
}
