import { describe, expect, it } from 'vitest'
import { normalizeTarget } from './request-target.js'

describe('normalizeTarget', () => {
  it.each([
    ['/function/foo', '/function/foo', ''],
    ['/a/b?x=1&y=%20z', '/a/b', '?x=1&y=%20z'],
    ['/a/./b', '/a/b', ''],
    ['/a/b/../c', '/a/c', ''],
    ['/a/%2e%2E/c', '/c', ''],
    ['/a/b/..', '/a/', ''],
    ['/a/.', '/a/', ''],
    ['/', '/', ''],
    ['/..hidden/x..y', '/..hidden/x..y', ''],
    ['/q?path=../../etc', '/q', '?path=../../etc'],
  ])('%s → %s', (raw, path, query) => {
    expect(normalizeTarget(raw)).toEqual({ ok: true, path, query })
  })

  it.each([
    ['/../../admin/secret', /climbs above its root/],
    ['/a/../../b', /climbs above its root/],
    ['/%2e%2e/x', /climbs above its root/],
    ['http://169.254.169.254/latest', /origin-form/],
    ['*', /asterisk-form/],
    ['//evil.example/x', /must not start with \/\//],
    ['/a%2f..%2fb', /encoded '\/'/],
    ['/a\\..\\b', /'\\'/],
    ['/a%00b', /control characters/],
  ])('refuses %s', (raw, reason) => {
    const result = normalizeTarget(raw)
    expect(result.ok).toBe(false)
    if (!result.ok) expect(result.reason).toMatch(reason)
  })
})
