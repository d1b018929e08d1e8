/** Child processes of the demo and the tests: found, and stopped. */
import { execFileSync, spawnSync, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'

/** SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited (at once if it had). */
export async function stopChild(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((r) => child.once('exit', r))
  child.kill('SIGTERM')
  const force = setTimeout(() => child.kill('SIGKILL'), graceMs)
  await exited
  clearTimeout(force)
}

/** A server binary: from `envVar`, on PATH, or in Go's bin folder (where `go install` puts it). */
export function findBinary(name: string, envVar: string): string | undefined {
  const configured = process.env[envVar]
  if (configured && fs.existsSync(configured)) return configured
  const fromPath = spawnSync('sh', ['-c', `command -v ${name}`])
    .stdout?.toString()
    .trim()
  if (fromPath) return fromPath
  if (spawnSync('sh', ['-c', 'command -v go']).status === 0) {
    const candidate = path.join(
      execFileSync('go', ['env', 'GOPATH']).toString().trim(),
      'bin',
      name,
    )
    if (fs.existsSync(candidate)) return candidate
  }
  return undefined
}
