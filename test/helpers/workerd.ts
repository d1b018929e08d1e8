/** The Workers build of the edge (dist/worker.js) in a real workerd, via miniflare, pulling from control. */
import { Miniflare } from 'miniflare'
import { createToken, type TestControl } from './control.js'
import { waitFor } from './ports.js'

export async function startWorkerEdge(
  fado: TestControl,
  opts: {
    /** Bind a KV namespace as FADO_SNAPSHOT_KV (miniflare's real KV). */
    kv?: boolean
    /** Where the Worker pulls from (default: this control). */
    controlUrl?: string
    /** Its edge token (default: a new one). */
    token?: string
    /** Further variables (FADO_EDGE_ZONE, FADO_ZONE_MAP). */
    vars?: Record<string, string>
  } = {},
): Promise<Miniflare> {
  return new Miniflare({
    modules: true,
    scriptPath: 'dist/worker.js',
    compatibilityDate: '2026-04-01',
    ...(opts.kv ? { kvNamespaces: ['FADO_SNAPSHOT_KV'] } : {}),
    bindings: {
      FADO_CONTROL_URL: opts.controlUrl ?? fado.running.apiUrl,
      FADO_CONTROL_TOKEN: opts.token ?? (await createToken(fado, 'edge')),
      FADO_SNAPSHOT_MAX_AGE_MS: '200',
      ...opts.vars,
    },
  })
}

/**
 * Waits until the Worker serves snapshot `version` or a later one (each request, this one too,
 * has it pull when its copy is older than FADO_SNAPSHOT_MAX_AGE_MS).
 */
export async function waitForWorkerVersion(
  mf: Miniflare,
  version: number,
  timeoutMs = 10_000,
): Promise<void> {
  await waitFor(
    `the Worker to serve snapshot ${version}`,
    async () => {
      const res = await mf.dispatchFetch('http://edge.local/_fado/status')
      const status = (await res.json()) as { snapshot_version?: number }
      return (status.snapshot_version ?? 0) >= version
    },
    timeoutMs,
  )
}
