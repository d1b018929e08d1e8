/** `fado standalone` as the benchmarks run it: the built bin, its own data dir, a fixed admin token. */
import type { ChildProcess } from 'node:child_process'
import path from 'node:path'
import { freePort, waitFor } from '../test/helpers/ports.js'
import type { Starter } from './lib.js'

export interface BenchFado {
  proc: ChildProcess
  apiUrl: string
  edgeUrl: string
  /** An admin API call; the JSON answer. */
  api(
    method: string,
    p: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<Response>
  json(method: string, p: string, body?: unknown): Promise<any> // eslint-disable-line @typescript-eslint/no-explicit-any -- bench
}

export async function startStandalone(
  start: Starter,
  dir: string,
  token: string,
  extraArgs: string[] = [],
  /** Another build to run (BASELINE=…/dist/fado.mjs in bench:edge): the same setup, another code. */
  bin = 'dist/fado.mjs',
): Promise<BenchFado> {
  const [apiPort, edgePort] = [await freePort(), await freePort()]
  const proc = start(
    process.execPath,
    [
      // PROFILE=<dir>: a CPU profile of the control process, written when it stops.
      ...(process.env.PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.PROFILE}`] : []),
      '--max-semi-space-size=2', // as the bin's first line and `npm start` run it
      bin,
      'standalone',
      '--api-port',
      String(apiPort),
      '--edge-port',
      String(edgePort),
      '--data-dir',
      path.join(dir, 'fado'),
      '--log-level',
      'warn',
      ...extraArgs,
    ],
    'fado standalone',
    { ...process.env, FADO_ADMIN_TOKEN: token },
  )
  const apiUrl = `http://127.0.0.1:${apiPort}`
  const api = (method: string, p: string, body?: unknown, headers: Record<string, string> = {}) =>
    fetch(`${apiUrl}${p}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
  await waitFor('fado standalone', async () => (await fetch(`${apiUrl}/healthz`)).ok, 60_000)
  return {
    proc,
    apiUrl,
    edgeUrl: `http://127.0.0.1:${edgePort}`,
    api,
    // An answer that is not a success stops the bench (a refused step would otherwise be waited
    // on forever).
    json: async (method, p, body) => {
      const res = await api(method, p, body)
      if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${await res.text()}`)
      return res.json()
    },
  }
}

/** `fado edge` as the benchmarks run it: the built bin, pulling from `controlUrl` with an edge token. */
export async function startFadoEdge(
  start: Starter,
  dir: string,
  controlUrl: string,
  edgeToken: string,
  extraArgs: string[] = [],
): Promise<{ proc: ChildProcess; url: string }> {
  const port = await freePort()
  const proc = start(
    process.execPath,
    [
      '--max-semi-space-size=2',
      'dist/fado.mjs',
      'edge',
      '--edge-port',
      String(port),
      '--control-url',
      controlUrl,
      '--data-dir',
      path.join(dir, 'edge'),
      '--log-level',
      'warn',
      ...extraArgs,
    ],
    'fado edge',
    { ...process.env, FADO_CONTROL_TOKEN: edgeToken },
  )
  return { proc, url: `http://127.0.0.1:${port}` }
}
