/** What control and the embedded database's thread say to each other (pglite.ts, pglite-worker-main.ts). */

export interface PGliteWorkerData {
  /** The cluster's directory: initialised and locked by control before the thread starts. */
  dataDir: string
}

/** `tx` names a transaction the thread opened for `begin`; without it a statement runs alone. */
export type ToDbThread =
  | { type: 'query'; id: number; tx?: number | undefined; text: string; params?: unknown[] }
  | { type: 'exec'; id: number; tx?: number | undefined; sql: string }
  | { type: 'begin'; id: number }
  | { type: 'end'; id: number; tx: number; commit: boolean }
  | { type: 'close'; id: number }

/** Id 0 answers the thread's start (the database opened, or why not). */
export type FromDbThread = { id: number; result: unknown } | { id: number; error: WireDbError }

/**
 * An error as it crosses threads: its message and the fields PostgreSQL gives (code, constraint,
 * detail, table…), which the API turns into answers (api/validate.ts).
 */
export type WireDbError = { message: string } & Record<string, string | number | undefined>

export function toWire(err: unknown): WireDbError {
  if (!(err instanceof Error)) return { message: String(err) }
  const wire: WireDbError = { message: err.message, name: err.name }
  for (const [key, value] of Object.entries(err)) {
    if (typeof value === 'string' || typeof value === 'number') wire[key] = value
  }
  return wire
}

export function fromWire(wire: WireDbError): Error {
  const { message, name, ...fields } = wire
  const err = Object.assign(new Error(message), fields)
  if (typeof name === 'string') err.name = name
  return err
}
