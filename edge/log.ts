/**
 * A small structured logger: one line per event on stderr, `time level message key=value…`, or
 * one JSON object per line (`--log-format json`, for log shippers). Values of keys that look
 * secret are never printed, and errors print their message only.
 */
export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void
  warn(message: string, fields?: Record<string, unknown>): void
  error(message: string, fields?: Record<string, unknown>): void
}

const SECRET_KEY = /secret|password|token|authorization/i

export type LogFormat = 'text' | 'json'

/** What may be printed of a field: secrets redacted, errors as their message. */
const printable = (key: string, value: unknown): unknown =>
  SECRET_KEY.test(key) ? '[redacted]' : value instanceof Error ? value.message : value

export function formatField(key: string, value: unknown): string {
  if (SECRET_KEY.test(key)) return `${key}=[redacted]`
  if (value instanceof Error) return `${key}=${JSON.stringify(value.message)}`
  if (typeof value === 'string')
    return `${key}=${/^[\w./:@-]+$/.test(value) ? value : JSON.stringify(value)}`
  return `${key}=${JSON.stringify(value)}`
}

export function createLogger(
  write: (line: string) => void = (line) => process.stderr.write(line + '\n'),
  quiet = false,
  format: LogFormat = 'text',
): Logger {
  const emit = (level: string, message: string, fields: Record<string, unknown> = {}) => {
    if (quiet && level === 'info') return
    const time = new Date().toISOString()
    if (format === 'json') {
      const record: Record<string, unknown> = { time, level, message }
      for (const [k, v] of Object.entries(fields)) if (!(k in record)) record[k] = printable(k, v)
      write(JSON.stringify(record))
      return
    }
    const parts = Object.entries(fields).map(([k, v]) => formatField(k, v))
    write([time, level, message, ...parts].join(' '))
  }
  return {
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
  }
}
