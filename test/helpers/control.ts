/** Runs a real control process (API + edge) in-process on free ports, and a small API client. */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { defaultConfig, type Config } from '../../control/config.js'
import type { DbTarget } from '../../control/db/client.js'
import { createLogger } from '../../edge/log.js'
import { startControl, type RunningControl } from '../../control/main.js'
import { waitFor } from '../../platform/ports.js'
import type { ReconcilerOptions } from '../../control/replication/reconciler.js'

export const TEST_TOKEN = 'test-admin-token-0123456789'

export interface ApiResponse {
  status: number
  headers: Headers
  body: any // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON under test
  text: string
}

/** A scoped token made through the API (the secret is in the answer, once). */
export async function createToken(
  fado: TestControl,
  scope: 'admin' | 'edge' | 'notify' | 'metrics',
  name = `${scope}-${Math.random().toString(36).slice(2, 8)}`,
  storageAlias?: string,
): Promise<string> {
  const res = await fado.api('POST', '/api/tokens', {
    name,
    scope,
    ...(storageAlias ? { storage_alias: storageAlias } : {}),
  })
  if (res.status !== 201) throw new Error(res.text)
  return res.body.token as string
}

/**
 * Where a MinIO sends its webhooks to this control, with a notify-scope token tied to the alias
 * the MinIO will be tracked as.
 */
export async function webhookTo(
  fado: TestControl,
  alias: string,
): Promise<{ endpoint: string; token: string }> {
  return {
    endpoint: `${fado.running.apiUrl}/api/notify`,
    token: await createToken(fado, 'notify', undefined, alias),
  }
}

/** Waits until the in-process edge serves the snapshot version control published last. */
export async function waitForEdgeToServe(fado: TestControl): Promise<void> {
  await waitFor('the edge to serve the published snapshot', async () => {
    const edge = (await fado.api('GET', '/api/load-balancer')).body.edge
    return edge?.snapshot_version === fado.running.publisher.current?.version
  })
}

/**
 * Waits until control has published a route for `bucket` whose upstreams are in exactly
 * `clusters`, and answers that snapshot's version. A replica reported synced by the API, or a
 * route override just written, may not be in a published snapshot yet: publishing follows the
 * write.
 */
export async function waitForPublishedRoute(
  fado: TestControl,
  bucket: string,
  clusters: string[],
): Promise<number> {
  const want = JSON.stringify([...clusters].sort())
  let version = 0
  await waitFor(`a published route for ${bucket} over ${want}`, async () => {
    const current = fado.running.publisher.current
    const have = [...new Set(current?.routes[bucket]?.upstreams.map((u) => u.cluster) ?? [])]
    version = current?.version ?? 0
    return JSON.stringify(have.sort()) === want
  })
  return version
}

/** waitForPublishedRoute, then until the in-process edge serves the last published snapshot. */
export async function waitForRoute(
  fado: TestControl,
  bucket: string,
  clusters: string[],
): Promise<void> {
  await waitForPublishedRoute(fado, bucket, clusters)
  await waitForEdgeToServe(fado)
}

export interface TestControl {
  running: RunningControl
  api(method: string, path: string, body?: unknown, token?: string | null): Promise<ApiResponse>
  /** Raw fetch against the API with the admin token. */
  fetch(path: string, init?: RequestInit): Promise<Response>
  close(): Promise<void>
}

export async function startTestControl(
  target: DbTarget,
  opts: {
    dataDir?: string
    reconciler?: ReconcilerOptions
    apiPort?: number
    config?: Partial<Config>
  } = {},
): Promise<TestControl> {
  // An embedded database on disk lives in the data dir, where a second start finds it again.
  const database =
    target.kind === 'postgres' ? target.url : target.kind === 'pglite' ? undefined : 'memory'
  const dataDir =
    target.kind === 'pglite'
      ? path.dirname(target.dataDir)
      : (opts.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'fado-test-control-')))
  const running = await startControl(
    defaultConfig({
      apiPort: opts.apiPort ?? 0,
      edgePort: 0,
      database,
      adminToken: TEST_TOKEN,
      dataDir,
      // One edge worker: round-robin sequences and health are then one process's view.
      workers: 1,
      ...opts.config,
    }),
    createLogger(undefined, true),
    true,
    { retryBaseMs: 200, retryMaxMs: 2_000, ...opts.reconciler },
  )
  return {
    running,
    async api(method, path, body, token = TEST_TOKEN) {
      const headers: Record<string, string> = {}
      if (token !== null) headers.authorization = `Bearer ${token}`
      let payload: string | undefined
      if (body !== undefined) {
        headers['content-type'] = 'application/json'
        payload = typeof body === 'string' ? body : JSON.stringify(body)
      }
      const res = await fetch(`${running.apiUrl}${path}`, {
        method,
        headers,
        ...(payload === undefined ? {} : { body: payload }),
        signal: AbortSignal.timeout(15_000),
      })
      const text = await res.text()
      let parsed: unknown
      try {
        parsed = text ? JSON.parse(text) : undefined
      } catch {
        parsed = undefined
      }
      return { status: res.status, headers: res.headers, body: parsed, text }
    },
    fetch: (path, init = {}) =>
      fetch(`${running.apiUrl}${path}`, {
        ...init,
        headers: {
          authorization: `Bearer ${TEST_TOKEN}`,
          ...(init.headers as Record<string, string>),
        },
        signal: AbortSignal.timeout(60_000),
      }),
    close: () => running.close(),
  }
}
