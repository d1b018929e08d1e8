/**
 * Runs SeaweedFS (`weed mini`: master, volume, filer and S3 gateway in one process) on loopback,
 * for the tests: every port FaDO does not use moved to a free one, so several run side by side,
 * S3 credentials from a config file with the `Admin` action (CreateBucket needs it). The binary is
 * built from SeaweedFS's Go module by `npm run setup` (pinned version; see TOOLCHAIN.md).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { S3Storage } from '../control/storage/s3.js'
import { findBinary, stopChild } from './child.js'
import { freePort, waitFor } from './ports.js'

/** SeaweedFS 4.53 (Nov 2026), Apache-2.0; `go install` refuses it (replace directives). */
export const SEAWEED_MODULE = 'github.com/seaweedfs/seaweedfs@v0.0.0-20261109003541-7506e5f91cd6'
export const SEAWEED_INSTALL_HINT = 'npm run setup   (builds weed from its Go module)'

export const SEAWEED_USER = 'fado-seaweed-key'
export const SEAWEED_PASSWORD = 'fado-seaweed-secret-123'

/** The weed binary: $FADO_WEED_BIN, on PATH, or in Go's bin folder. */
export const weedPath = (): string | undefined => findBinary('weed', 'FADO_WEED_BIN')

export interface SeaweedServer {
  /** host:port of the S3 gateway. */
  endpoint: string
  port: number
  destroy(): Promise<void>
}

export async function startSeaweedServer(opts: {
  bin: string
  /** Also answer virtual-host requests for {bucket}.{domain}. */
  domain?: string
}): Promise<SeaweedServer> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'fado-seaweed-'))
  const dataDir = path.join(root, 'data')
  fs.mkdirSync(dataDir)
  const config = path.join(root, 's3.json')
  fs.writeFileSync(
    config,
    JSON.stringify({
      identities: [
        {
          name: 'fado',
          credentials: [{ accessKey: SEAWEED_USER, secretKey: SEAWEED_PASSWORD }],
          actions: ['Admin', 'Read', 'Write', 'List', 'Tagging'],
        },
      ],
    }),
    { mode: 0o600 },
  )
  const port = await freePort()
  const ports: Record<string, number> = {}
  for (const flag of [
    's3.port.grpc',
    's3.port.iceberg',
    's3.port.lance',
    'master.port',
    'master.port.grpc',
    'volume.port',
    'volume.port.grpc',
    'filer.port',
    'filer.port.grpc',
    'admin.port',
    'admin.port.grpc',
    'admin.port.legacy',
    'metricsPort',
    's3.metricsPort',
    'debug.port',
    's3.debug.port',
  ])
    ports[flag] = await freePort()
  const child: ChildProcess = spawn(
    opts.bin,
    [
      'mini',
      `-dir=${dataDir}`,
      '-ip=127.0.0.1',
      '-ip.bind=127.0.0.1',
      `-s3.config=${config}`,
      `-s3.port=${port}`,
      ...Object.entries(ports).map(([flag, p]) => `-${flag}=${p}`),
      '-webdav=false',
      '-admin.ui=false',
      ...(opts.domain ? [`-s3.domainName=${opts.domain}`] : []),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let log = ''
  child.stdout?.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)))
  child.stderr?.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)))
  const destroy = async () => {
    await stopChild(child)
    fs.rmSync(root, { recursive: true, force: true })
  }
  try {
    // The S3 gateway answers once master, volume and filer are up (a few seconds).
    await waitFor(
      'SeaweedFS S3 to answer',
      async () => {
        if (child.exitCode !== null) throw new Error(`weed exited: ${log.slice(-1000)}`)
        const res = await fetch(`http://127.0.0.1:${port}/`).catch(() => undefined)
        await res?.arrayBuffer()
        return res !== undefined && res.status < 500
      },
      60_000,
    )
    // The gateway may answer before its filer takes writes (a clean-clone CI run once saw the
    // first CreateBucket fail with an empty error): ready when a bucket can be made and removed.
    const s3 = new S3Storage({
      endpoint: `127.0.0.1:${port}`,
      use_ssl: false,
      access_key: SEAWEED_USER,
      secret_key: SEAWEED_PASSWORD,
      kind: 's3',
    })
    await waitFor(
      'SeaweedFS to take writes',
      async () => {
        if (child.exitCode !== null) throw new Error(`weed exited: ${log.slice(-1000)}`)
        await s3.makeBucket('fado-ready-probe')
        await s3.removeBucket('fado-ready-probe')
        return true
      },
      60_000,
    )
  } catch (err) {
    await destroy()
    throw new Error(`${(err as Error).message}\n${log.slice(-1500)}`, { cause: err })
  }
  return { endpoint: `127.0.0.1:${port}`, port, destroy }
}
