/**
 * Real faults for the fault suite: a TCP listener that accepts connections and never answers (a
 * hung storage server), open-descriptor counts of a process, and timing helpers.
 */
import fs from 'node:fs'
import net from 'node:net'

export interface StallingServer {
  endpoint: string
  port: number
  /** Connections accepted so far. */
  accepted(): number
  close(): Promise<void>
}

/** Accepts every connection, reads what it is sent, and never writes a byte. */
export async function startStallingServer(): Promise<StallingServer> {
  const sockets = new Set<net.Socket>()
  let accepted = 0
  const server = net.createServer((socket) => {
    accepted++
    sockets.add(socket)
    socket.on('data', () => {})
    socket.on('error', () => {})
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as net.AddressInfo
  return {
    endpoint: `127.0.0.1:${port}`,
    port,
    accepted: () => accepted,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}

/** The open file descriptors of a process: how many, and which are deleted files still open. */
export function openDescriptors(pid: number): { count: number; deletedFiles: string[] } {
  const dir = `/proc/${pid}/fd`
  const deletedFiles: string[] = []
  let count = 0
  for (const fd of fs.readdirSync(dir)) {
    count++
    try {
      const target = fs.readlinkSync(`${dir}/${fd}`)
      if (target.endsWith(' (deleted)')) deletedFiles.push(target)
    } catch {
      // closed meanwhile
    }
  }
  return { count, deletedFiles }
}

/** Runs `fn` and returns how long it took (ms) with its result. */
export async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now()
  const value = await fn()
  return [value, performance.now() - started]
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
