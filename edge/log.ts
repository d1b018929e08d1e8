/**
 * A small structured logger: one line per event on stderr, `time level message key=value…`.
 * Values of keys that look secret are never printed, and errors print their message only.
 */
export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void
  warn(message: string, fields?: Record<string, unknown>): void
  error(message: string, fields?: Record<string, unknown>): void
}

const SECRET_KEY = /secret|password|token|authorization/i

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
): Logger {
  const emit = (level: string, message: string, fields: Record<string, unknown> = {}) => {
    if (quiet && level === 'info') return
    const parts = Object.entries(fields).map(([k, v]) => formatField(k, v))
    write([new Date().toISOString(), level, message, ...parts].join(' '))
  }
  return {
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
  }
}
