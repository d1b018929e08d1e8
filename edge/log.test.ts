import { describe, expect, it } from 'vitest'
import { createLogger } from './log.js'

describe('createLogger', () => {
  const capture = (format: 'text' | 'json', quiet = false) => {
    const lines: string[] = []
    return { lines, log: createLogger((l) => lines.push(l), quiet, format) }
  }

  it('text: time level message key=value, secrets redacted, errors as their message', () => {
    const { lines, log } = capture('text')
    log.warn('upstream failed', { bucket: 'a b', secret_key: 's3cr3t', error: new Error('boom') })
    expect(lines[0]).toMatch(
      /^\S+Z warn upstream failed bucket="a b" secret_key=\[redacted\] error="boom"$/,
    )
  })

  it('json: one object per line with the same fields, redacted the same way', () => {
    const { lines, log } = capture('json')
    log.error('invocation failed', { request_id: 'r-1', token: 't0k3n', error: new Error('x') })
    const record = JSON.parse(lines[0] as string)
    expect(record).toMatchObject({
      level: 'error',
      message: 'invocation failed',
      request_id: 'r-1',
      token: '[redacted]',
      error: 'x',
    })
    expect(Date.parse(record.time)).not.toBeNaN()
    expect(lines[0]).not.toContain('t0k3n')
  })

  it('a field cannot overwrite time, level or message; quiet drops info only', () => {
    const { lines, log } = capture('json', true)
    log.info('not shown')
    log.warn('shown', { level: 'info', message: 'forged' })
    expect(lines).toHaveLength(1)
    expect(JSON.parse(lines[0] as string)).toMatchObject({ level: 'warn', message: 'shown' })
  })
})
