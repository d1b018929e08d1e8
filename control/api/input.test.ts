import { describe, expect, it } from 'vitest'
import { FadoError } from '../lib/errors.js'
import { MAX_JSON_DEPTH, nestsDeeperThan, strictDecode, textProblem } from './input.js'
import { objectKey } from './validate.js'

describe('strictDecode', () => {
  it('decodes valid percent-encoded UTF-8, with + as space in forms', () => {
    expect(strictDecode('a%20b', false)).toBe('a b')
    expect(strictDecode('a+b', true)).toBe('a b')
    expect(strictDecode('a+b', false)).toBe('a+b')
    expect(strictDecode('%C3%A9', false)).toBe('é')
    expect(strictDecode('é', false)).toBe('é')
  })
  it('refuses malformed escapes and invalid UTF-8', () => {
    for (const raw of ['%', '%z1', '%FF', '%C3%28', '%ED%A0%80', '%C0%AF'])
      expect(strictDecode(raw, true), raw).toBeUndefined()
  })
})

describe('textProblem', () => {
  it('refuses NUL and lone surrogates, accepts everything else', () => {
    expect(textProblem('a\u0000b')).toMatch(/NUL/)
    expect(textProblem('\ud800')).toMatch(/Unicode/)
    expect(textProblem('x\udc00')).toMatch(/Unicode/)
    expect(textProblem('😀 é \u202e')).toBeUndefined()
  })
})

describe('objectKey (S3 rules, no way out of the bucket)', () => {
  const refused = (key: string) => {
    try {
      objectKey(key, 'path')
    } catch (err) {
      expect(err).toBeInstanceOf(FadoError)
      return (err as FadoError).field
    }
    return undefined
  }
  it.each([
    'x/../../victim-bucket/planted',
    '..',
    '.',
    'a/./b',
    '/abs',
    'a//b',
    'dir/',
    '',
    'bell\u0007',
    'k'.repeat(1025),
  ])('refuses %j', (key) => expect(refused(key.slice(0, 2000))).toBe('path'))
  it.each(['photo.jpg', 'a/b/c.txt', '..hidden', 'x..y', 'ünï cödé/😀', 'k'.repeat(1024)])(
    'accepts %j',
    (key) => expect(refused(key)).toBeUndefined(),
  )
})

describe('nestsDeeperThan', () => {
  it('counts arrays and objects, not brackets inside strings', () => {
    expect(nestsDeeperThan('{"a":[1,{"b":[]}]}', 4)).toBe(false)
    expect(nestsDeeperThan('{"a":[1,{"b":[]}]}', 3)).toBe(true)
    expect(nestsDeeperThan('{"a":"[[[[[[[[[["}', 1)).toBe(false)
    expect(nestsDeeperThan('{"a":"\\"[[[["}', 1)).toBe(false)
    expect(nestsDeeperThan('['.repeat(100_000), MAX_JSON_DEPTH)).toBe(true)
    expect(
      nestsDeeperThan('['.repeat(MAX_JSON_DEPTH) + ']'.repeat(MAX_JSON_DEPTH), MAX_JSON_DEPTH),
    ).toBe(false)
  })
})
