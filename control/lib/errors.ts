/**
 * One error base for the control process. Each error carries a stable `code` that clients and
 * tests match on, the HTTP status the API answers with (500 for errors no request causes), and
 * optionally the request field at fault. The classes below it name the failures callers tell
 * apart: a bad configuration, a storage deployment's failure (storage/errors.ts), the database
 * out of reach (db/client.ts), a schema newer than the code (db/migrate.ts), an external call
 * inside a transaction (lib/transaction-scope.ts), a client gone.
 */
export class FadoError extends Error {
  readonly code: string
  readonly status: number
  readonly field: string | undefined

  constructor(
    status: number,
    code: string,
    message: string,
    options: { field?: string; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'FadoError'
    this.status = status
    this.code = code
    this.field = options.field
  }

  toJSON(): { error: { code: string; message: string; field?: string } } {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.field === undefined ? {} : { field: this.field }),
      },
    }
  }
}

export const invalidField = (field: string, message: string): FadoError =>
  new FadoError(400, 'invalid_field', `${field}: ${message}`, { field })

export const notFound = (what: string, id: number | string): FadoError =>
  new FadoError(404, 'not_found', `no ${what} with id ${id}`)

export const conflict = (field: string, message: string): FadoError =>
  new FadoError(409, 'conflict', `${field}: ${message}`, { field })

/** The database is not answering (down, unreachable, or over its timeout): 503, retry later. */
export const databaseUnavailable = (cause?: unknown): FadoError =>
  new FadoError(
    503,
    'database_unavailable',
    'the database is unavailable; nothing was changed, try again shortly',
    { cause },
  )

/** A body over the limit: 413, naming what was too large. */
export const tooLarge = (field: string, limit: number): FadoError =>
  new FadoError(413, 'too_large', `${field}: larger than the limit of ${formatBytes(limit)}`, {
    field,
  })

export function formatBytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB']
  let i = 0
  let v = n
  while (v >= 1024 && i < units.length - 1 && Number.isInteger(v / 1024)) {
    v /= 1024
    i++
  }
  return `${v} ${units[i]}`
}

/**
 * A storage deployment failed: 504 `storage_timeout` when it did not answer in time, else 502
 * with a code saying why (`storage_unreachable`, `storage_credentials`, …), so a user knows
 * what to fix. The database was not changed.
 */
export function storageFailed(what: string, err: unknown): FadoError {
  const kind = (err as { kind?: string }).kind ?? 'failed'
  const message = err instanceof Error ? err.message : String(err)
  return new FadoError(kind === 'timeout' ? 504 : 502, `storage_${kind}`, `${what}: ${message}`, {
    cause: err,
  })
}

/** The client went away before its request was read through: nobody to answer (499). */
export class ClientGoneError extends FadoError {
  constructor(cause?: unknown) {
    super(499, 'client_closed_request', 'the client closed the connection', { cause })
    this.name = 'ClientGoneError'
  }
}

/** A bad option value or command line: the CLI prints it and exits with code 2. */
export class ConfigError extends FadoError {
  constructor(message: string) {
    super(500, 'invalid_config', message)
    this.name = 'ConfigError'
  }
}
