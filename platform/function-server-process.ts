/**
 * A demo function server in a process of its own, so benchmarks measure FaDO's edge apart from the
 * functions' work (one event loop for both made the edge wait behind 10 MiB hashes). The parent
 * passes a serializable spec in FADO_FUNCTION_SPEC; the child prints its URL as one JSON line.
 * Runs from source (tsx), as benchmarks do; `fado demo` keeps its function servers in-process.
 */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { startFunctionServerFromSpec, type FunctionServerSpec } from './function-server.js'

export interface FunctionServerProcess {
  url: string
  close(): Promise<void>
}

const SELF = fileURLToPath(import.meta.url)

export async function spawnFunctionServer(
  spec: FunctionServerSpec,
): Promise<FunctionServerProcess> {
  const child = spawn(process.execPath, [...process.execArgv, SELF], {
    env: { ...process.env, FADO_FUNCTION_SPEC: JSON.stringify(spec) },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const url = await new Promise<string>((resolve, reject) => {
    let out = ''
    const timer = setTimeout(
      () => reject(new Error('function server did not start in 20 s')),
      20_000,
    )
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString()
      const line = out.split('\n').find((l) => l.startsWith('{'))
      if (line) {
        clearTimeout(timer)
        resolve((JSON.parse(line) as { url: string }).url)
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`function server exited with ${code} before starting`))
    })
  })
  return {
    url,
    close: async () => {
      if (child.exitCode !== null) return
      const exited = new Promise((r) => child.once('exit', r))
      child.kill('SIGTERM')
      await exited
    },
  }
}

if (process.argv[1] === SELF) {
  const spec = JSON.parse(process.env.FADO_FUNCTION_SPEC ?? '{}') as FunctionServerSpec
  const server = await startFunctionServerFromSpec(spec)
  process.stdout.write(JSON.stringify({ url: server.url }) + '\n')
  process.once('SIGTERM', () => void server.close().then(() => process.exit(0)))
}
