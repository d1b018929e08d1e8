/** Runs the built `fado` bin (dist/fado.mjs) as a child process, as a user would. */
import { spawn, type ChildProcess } from 'node:child_process'
import path from 'node:path'
import { freePort } from './ports.js'

export const FADO_BIN = path.resolve('dist/fado.mjs')

/** `standalone` arguments on two free loopback ports, then `more`; and those ports. */
export async function standaloneArgs(
  ...more: string[]
): Promise<{ args: string[]; apiPort: number; edgePort: number }> {
  const [apiPort, edgePort] = [await freePort(), await freePort()]
  return {
    args: ['standalone', '--api-port', String(apiPort), '--edge-port', String(edgePort), ...more],
    apiPort,
    edgePort,
  }
}

/** The parent's environment without FADO_* variables, plus `extra`. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('FADO_')),
  )
  return { ...env, ...extra }
}

export interface Finished {
  code: number | null
  stdout: string
  stderr: string
}

export function runFado(
  args: string[],
  opts: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {},
): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [FADO_BIN, ...args], {
      cwd: opts.cwd,
      env: cleanEnv(opts.env),
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(
        new Error(
          `fado ${args.join(' ')} did not exit within ${opts.timeoutMs ?? 30_000} ms\n${stdout}\n${stderr}`,
        ),
      )
    }, opts.timeoutMs ?? 30_000)
    child.on('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

export interface RunningFado {
  child: ChildProcess
  stdout(): string
  stderr(): string
  /** Resolves with the regex match once stdout shows it. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>
  /** Sends a signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>
}

export function startFado(
  args: string[],
  /** direct: the bin run by its own first line (`#!/usr/bin/env -S node …`), as `fado` runs. */
  opts: { env?: Record<string, string>; cwd?: string; direct?: boolean } = {},
): RunningFado {
  const [command, argv] = opts.direct ? [FADO_BIN, args] : [process.execPath, [FADO_BIN, ...args]]
  return watch(spawn(command, argv, { cwd: opts.cwd, env: cleanEnv(opts.env) }))
}

/**
 * Runs a shell command with a pseudo-terminal as its stdout (util-linux script(1)), as when a
 * person starts it at a terminal.
 */
export function spawnWithTerminal(command: string, cwd: string): RunningFado {
  return watch(
    spawn('script', ['-qefc', `exec ${command}`, '/dev/null'], {
      cwd,
      env: cleanEnv(),
      stdio: ['pipe', 'pipe', 'pipe'],
    }),
  )
}

function watch(child: ChildProcess): RunningFado {
  let out = ''
  let err = ''
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    async waitForOutput(pattern, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs
      while (Date.now() < deadline) {
        const match = pattern.exec(out)
        if (match) return match
        if (child.exitCode !== null)
          throw new Error(
            `fado exited with ${child.exitCode} before printing ${pattern}\n${out}\n${err}`,
          )
        await new Promise((r) => setTimeout(r, 50))
      }
      throw new Error(`fado did not print ${pattern} within ${timeoutMs} ms\n${out}\n${err}`)
    },
    async stop(signal = 'SIGTERM', timeoutMs = 15_000) {
      if (child.exitCode !== null) return child.exitCode
      child.kill(signal)
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
      const code = await exited
      clearTimeout(timer)
      return code
    },
  }
}
