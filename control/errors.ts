/**
 * One error base for the control process. Each error carries a stable `code` that clients and
 * tests match on, the HTTP status the API answers with, and optionally the request field at fault.
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

export const upstreamFailed = (message: string, cause?: unknown): FadoError =>
  new FadoError(502, 'external_service_failed', message, { cause })

/** The database (or another service FaDO needs) is not answering. */
export const unavailable = (message: string, cause?: unknown): FadoError =>
  new FadoError(503, 'unavailable', message, { cause })

/** A storage deployment failed: 502 with a code saying why, so a user knows what to fix. */
export function storageFailed(what: string, err: unknown): FadoError {
  const kind = (err as { kind?: string }).kind ?? 'failed'
  const message = err instanceof Error ? err.message : String(err)
  return new FadoError(502, `storage_${kind}`, `${what}: ${message}`, { cause: err })
}
