/** Runs a real control process (API + edge) in-process on free ports, and a small API client. */
import type { DbTarget } from '../../control/db/client.js'
import { createLogger } from '../../control/log.js'
import { startControl, type RunningControl } from '../../control/main.js'

export const TEST_TOKEN = 'test-admin-token-0123456789'

export interface ApiResponse {
  status: number
  headers: Headers
  body: any // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON under test
  text: string
}

export interface TestControl {
  running: RunningControl
  api(method: string, path: string, body?: unknown, token?: string | null): Promise<ApiResponse>
  close(): Promise<void>
}

export async function startTestControl(target: DbTarget, dataDir?: string): Promise<TestControl> {
  const database = target.kind === 'postgres' ? target.url : 'memory'
  const running = await startControl(
    {
      listenHost: '127.0.0.1',
      apiPort: 0,
      edgePort: 0,
      database,
      adminToken: TEST_TOKEN,
      ...(dataDir ? { dataDir } : {}),
    },
    createLogger(undefined, true),
    true,
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
    close: () => running.close(),
  }
}
