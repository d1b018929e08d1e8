/**
 * `fado demo`: a complete local platform on loopback in one command. Three clusters with zones
 * (hpc, cloud-1, cloud-2), each with a real MinIO server and a function server, WAN links between
 * clusters (throttling relays), and FaDO standalone managing them: storage and FaaS deployments,
 * buckets with different replica policies, some objects, and two functions deployed differently:
 * `train` OpenFaaS-style at /function/train on hpc and cloud-1 (requiring the high-performance
 * zone, so only hpc runs it), `resize` at /function/resize on hpc and at a URL of its own on
 * cloud-2 (as Knative or a Lambda function URL gives). Prints the login URL and ready-to-paste
 * invocations; Ctrl-C stops everything and removes the temp data.
 */
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import { defaultConfig, type DemoConfig } from '../control/config.js'
import type { Logger } from '../edge/log.js'
import { FadoError } from '../control/lib/errors.js'
import { startControl } from '../control/main.js'
import type { StorageConnection } from '../control/storage/types.js'
import { startFunctionServerFromSpec, type FunctionServerSpec } from './function-server.js'
import {
  MINIO_INSTALL_HINT,
  MINIO_PASSWORD,
  MINIO_USER,
  minioPath,
  startMinioServer,
  type MinioServer,
} from './minio-server.js'
import { startWanRelay, type RunningRelay } from './wan-relay.js'

const CLUSTERS = [
  { name: 'hpc', zones: ['germany', 'high-performance'] },
  { name: 'cloud-1', zones: ['germany'] },
  { name: 'cloud-2', zones: ['usa'] },
] as const

/** Buckets: master cluster, policy, objects. */
const BUCKETS = [
  { name: 'images', master: 'hpc', policy: { zones: ['germany'], target_replica_count: 1 } },
  { name: 'ml-models', master: 'cloud-2', policy: {} },
  { name: 'shared-data', master: 'cloud-1', policy: { target_replica_count: 2 } },
] as const

export interface RunningDemo {
  apiUrl: string
  edgeUrl: string
  token: string
  /** A 0600 file holding the admin token. */
  tokenFile: string
  /** Per cluster: its function server and FaaS deployment id. */
  clusters: Record<string, { fn: { url: string }; faas_id: number }>
  /** cloud-2's `resize`: a function server of its own, the function at its root. */
  resizeUrl: string
  /** Every WAN link (bytes carried are counted on each). */
  relays: RunningRelay[]
  /** Lines to print: login URL and invocations. */
  summary: string
  close(): Promise<void>
}

/** The demo cannot start (a server it needs is missing). */
export class DemoError extends FadoError {
  constructor(message: string) {
    super(500, 'demo_failed', message)
    this.name = 'DemoError'
  }
}

export interface DemoOptions {
  /** How to run a cluster's function server; default: in this process. */
  startFunctionServer?: (
    spec: FunctionServerSpec,
  ) => Promise<{ url: string; close(): Promise<void> }>
  /** Per cluster name: service time and parallel capacity of its function server. */
  profiles?: Record<string, { delayMs?: number; capacity?: number }>
  /**
   * Print the admin token in the summary (login URL, curl lines). Only for a person at a
   * terminal; otherwise the summary names the file that holds it.
   */
  showToken?: boolean
}

/** How the demo's functions are deployed: mount path → function, on hpc and cloud-1. */
const DEMO_FUNCTIONS = {
  openFaas: { '/function/resize': 'resize', '/function/train': 'train' },
}

/** The demo's cluster names, in order. */
export const DEMO_CLUSTERS = CLUSTERS.map((c) => c.name)

const connection = (endpoint: string): StorageConnection => ({
  endpoint,
  use_ssl: false,
  access_key: MINIO_USER,
  secret_key: MINIO_PASSWORD,
})

export async function startDemo(
  config: DemoConfig,
  log: Logger,
  options: DemoOptions = {},
): Promise<RunningDemo> {
  const bin = minioPath()
  if (!bin)
    throw new DemoError(`the MinIO server is not installed. Install it with: ${MINIO_INSTALL_HINT}`)
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'fado-demo-'))
  const closers: (() => Promise<void>)[] = []
  const closeAll = async () => {
    for (const close of closers.reverse()) await close().catch(() => {})
    fs.rmSync(root, { recursive: true, force: true })
  }
  try {
    const token = config.adminToken ?? randomBytes(24).toString('base64url')
    const apiPort = config.apiPort
    const host = config.listenHost
    const control = await startControl(
      {
        ...defaultConfig(),
        ...config,
        listenHost: host,
        apiPort,
        edgePort: config.edgePort,
        database: 'memory',
        adminToken: token,
        dataDir: path.join(root, 'fado'),
      },
      log,
      true,
    )
    closers.push(() => control.close())
    const api = async (method: string, p: string, body?: unknown) => {
      const res = await fetch(`${control.apiUrl}${p}`, {
        method,
        headers: { authorization: `Bearer ${token}` },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      })
      const json = (await res.json()) as Record<string, unknown>
      if (!res.ok) throw new Error(`${method} ${p}: ${JSON.stringify(json)}`)
      return json
    }

    // Plain MinIO servers: when FaDO tracks each, it gives it a webhook target for FaDO (with a
    // token that may only deliver events) through MinIO's admin config API.
    const minios: Record<string, MinioServer> = {}
    await Promise.all(
      CLUSTERS.map(async (c) => {
        minios[c.name] = await startMinioServer({ bin, parentDir: root })
        closers.push(() => minios[c.name]!.destroy())
      }),
    )

    // WAN links: each cluster's functions reach the other clusters' MinIO through a relay.
    const rttMs = config.wanRtt
    const mbit = config.wanMbit
    const ids: Record<string, { cluster: number; storage: number }> = {}
    const clusters: RunningDemo['clusters'] = {}
    const relays: RunningRelay[] = []
    let resizeUrl = ''
    for (const c of CLUSTERS) {
      const cluster = (await api('POST', '/api/clusters', { name: c.name, zones: c.zones }))
        .cluster_id as number
      const storage = (
        await api('POST', '/api/storage-deployments', {
          alias: `minio-${c.name}`,
          cluster_id: cluster,
          endpoint: minios[c.name]!.endpoint,
          access_key: MINIO_USER,
          secret_key: MINIO_PASSWORD,
        })
      ).storage_id as number
      ids[c.name] = { cluster, storage }
      const remotes: StorageConnection[] = []
      for (const other of CLUSTERS.filter((o) => o.name !== c.name)) {
        const relay = await startWanRelay({
          rttMs,
          mbit,
          target: { host: '127.0.0.1', port: minios[other.name]!.port },
        })
        closers.push(() => relay.close())
        relays.push(relay)
        remotes.push(connection(relay.endpoint))
      }
      const start = options.startFunctionServer ?? startFunctionServerFromSpec
      const spec = { cluster: c.name, storage: connection(minios[c.name]!.endpoint), remotes }
      const fn = await start({
        ...spec,
        prefix: '',
        functions: c.name === 'cloud-2' ? {} : DEMO_FUNCTIONS.openFaas,
        ...options.profiles?.[c.name],
      })
      closers.push(() => fn.close())
      if (c.name === 'cloud-2') {
        const own = await start({ ...spec, functions: { '/': 'resize' } })
        closers.push(() => own.close())
        resizeUrl = own.url
      }
      const faas = await api('POST', '/api/faas-deployments', { cluster_id: cluster, url: fn.url })
      clusters[c.name] = { fn, faas_id: faas.faas_id as number }
    }

    const faasOf = (cluster: string) => clusters[cluster]!.faas_id
    await api('POST', '/api/functions', {
      name: 'train',
      zones: ['high-performance'],
      triggers: [
        { faas_id: faasOf('hpc'), target: '/function/train' },
        { faas_id: faasOf('cloud-1'), target: '/function/train' },
      ],
    })
    await api('POST', '/api/functions', {
      name: 'resize',
      triggers: [
        { faas_id: faasOf('hpc'), target: '/function/resize' },
        { faas_id: faasOf('cloud-2'), target: resizeUrl },
      ],
    })

    for (const b of BUCKETS) {
      await api('POST', '/api/buckets', {
        name: b.name,
        storage_id: ids[b.master]!.storage,
        ...b.policy,
      })
      const master = minios[b.master]!.storage()
      const put = (key: string, data: Buffer) =>
        master.putObject(b.name, key, Readable.from([data]), data.length)
      await put('photo.jpg', randomBytes(200_000))
      await put('big.bin', randomBytes(10 * 1024 * 1024))
    }
    // Wait (bounded) until every planned replica is synced, so the routes show the placement.
    const deadline = Date.now() + 30_000
    while (Date.now() < deadline) {
      const buckets = (await api('GET', '/api/buckets')) as unknown as {
        replicas: { status: string }[]
      }[]
      const all = buckets.flatMap((b) => b.replicas)
      if (all.length >= 3 && all.every((r) => r.status === 'synced')) break
      await new Promise((r) => setTimeout(r, 200))
    }
    // ... and until every edge worker serves the routes that say so (a snapshot is published and
    // applied a moment after a replica turns synced; each worker applies it on its own, and its
    // status reaches control within a second): the first invocations tried then see every copy.
    const edgeUrl = control.edgeUrl ?? ''
    const published = (await control.publisher.publishNow())?.version ?? 0
    while (Date.now() < deadline && (control.edgeStatus?.().snapshot_version ?? 0) < published) {
      await new Promise((r) => setTimeout(r, 100))
    }

    const tokenFile = path.join(root, 'admin-token')
    fs.writeFileSync(tokenFile, token + '\n', { mode: 0o600 })
    const shown = options.showToken ? token : `$(cat ${tokenFile})`
    const summary = [
      'FaDO demo: 3 clusters (hpc, cloud-1, cloud-2), each with MinIO + a function server,',
      `WAN links between clusters: ${rttMs} ms RTT, ${mbit} Mbit/s. Buckets: images (master hpc, replica in germany),`,
      'ml-models (only on cloud-2), shared-data (everywhere).',
      '',
      options.showToken
        ? `  admin page      ${control.apiUrl}/#token=${token}   (login URL: signs the tab in)`
        : `  admin page      ${control.apiUrl}/#token=<the token in ${tokenFile}>`,
      `  admin API       ${control.apiUrl}/api   (token: ${options.showToken ? token : `in ${tokenFile}`})`,
      `  invocations     ${edgeUrl}/`,
      '',
      'Try (each answer names the cluster that ran it in X-FaDO-Cluster, next to its data):',
      ...BUCKETS.map(
        (b) =>
          `  curl -si -H 'X-FaDO-Bucket: ${b.name}' '${edgeUrl}/function/image?object=photo.jpg' | grep -i -e x-fado-cluster -e sha256`,
      ),
      '',
      'Functions: train (needs zone high-performance: only hpc runs it), resize (/function/resize',
      'on hpc, a URL of its own on cloud-2). Each answer shows the path the function received:',
      `  curl -s -H 'X-FaDO-Bucket: shared-data' -H 'X-FaDO-Function: resize' '${edgeUrl}/?object=photo.jpg'`,
      `  curl -s -H 'X-FaDO-Bucket: images' -H 'X-FaDO-Function: train' '${edgeUrl}/epochs?n=3'`,
      `  curl -s -H "Authorization: Bearer ${shown}" ${control.apiUrl}/api/load-balancer`,
      '',
      'Ctrl-C stops everything and removes the temporary data.',
    ].join('\n')
    return {
      apiUrl: control.apiUrl,
      edgeUrl,
      token,
      tokenFile,
      clusters,
      resizeUrl,
      relays,
      summary,
      close: closeAll,
    }
  } catch (err) {
    await closeAll()
    throw err
  }
}
