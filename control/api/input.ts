/**
 * Request input as the API accepts it, before any schema sees it: every query value and the URL
 * path decode to valid UTF-8 without NUL, and JSON bodies are UTF-8 text whose strings hold no
 * NUL and no lone surrogate. Anything else is a 400 naming the part at fault, so no malformed
 * byte ever reaches the database or a storage request.
 */
import type { Context } from 'hono'
import { createMiddleware } from 'hono/factory'
import { ClientGoneError, invalidField } from '../lib/errors.js'

const fatalUtf8 = new TextDecoder('utf-8', { fatal: true })

/** Percent-decoding (with '+' as space when `form`) that refuses malformed escapes and UTF-8. */
export function strictDecode(raw: string, form: boolean): string | undefined {
  const text = form ? raw.replace(/\+/g, ' ') : raw
  if (!text.includes('%')) return text
  const bytes: number[] = []
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i)
    if (ch === 0x25) {
      const hex = text.slice(i + 1, i + 3)
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return undefined
      bytes.push(parseInt(hex, 16))
      i += 2
    } else if (ch < 0x80) {
      bytes.push(ch)
    } else {
      bytes.push(...new TextEncoder().encode(text[i] as string))
    }
  }
  try {
    return fatalUtf8.decode(new Uint8Array(bytes))
  } catch {
    return undefined
  }
}

/** Lone surrogates (from \ud800-style escapes) cannot be encoded as UTF-8. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/

/** Why a decoded string is refused, or undefined when it is fine. */
export function textProblem(value: string): string | undefined {
  if (value.includes('\u0000')) return 'must not contain NUL'
  if (LONE_SURROGATE.test(value)) return 'must be valid Unicode text'
  return undefined
}

/** Checks the URL path and every query parameter of /api requests. */
export const strictUrl = createMiddleware(async function strictUrl(c, next) {
  const raw = c.req.url
  const start = raw.indexOf('/', raw.indexOf('//') + 2)
  const target = start < 0 ? '/' : raw.slice(start)
  const q = target.indexOf('?')
  const pathPart = q < 0 ? target : target.slice(0, q)
  const path = strictDecode(pathPart, false)
  const pathIssue = path === undefined ? 'must be valid percent-encoded UTF-8' : textProblem(path)
  if (pathIssue) throw invalidField('url', pathIssue)
  if (q >= 0) {
    for (const pair of target.slice(q + 1).split('&')) {
      if (pair === '') continue
      const eq = pair.indexOf('=')
      const rawKey = eq < 0 ? pair : pair.slice(0, eq)
      const key = strictDecode(rawKey, true)
      const keyIssue = key === undefined ? 'must be valid percent-encoded UTF-8' : textProblem(key)
      if (keyIssue || key === undefined) throw invalidField('query', `parameter name ${keyIssue}`)
      const value = strictDecode(eq < 0 ? '' : pair.slice(eq + 1), true)
      const issue = value === undefined ? 'must be valid percent-encoded UTF-8' : textProblem(value)
      if (issue) throw invalidField(key, issue)
    }
  }
  await next()
})

/** The first string in a JSON value that textProblem() refuses, with its path. */
function findBadText(value: unknown, path: string): [string, string] | undefined {
  if (typeof value === 'string') {
    const issue = textProblem(value)
    return issue ? [path || 'body', issue] : undefined
  }
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) {
      const bad = findBadText(v, `${path}[${i}]`)
      if (bad) return bad
    }
    return undefined
  }
  if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const keyIssue = textProblem(k)
      if (keyIssue) return [path || 'body', `field names ${keyIssue}`]
      const bad = findBadText(v, path ? `${path}.${k}` : k)
      if (bad) return bad
    }
  }
  return undefined
}

/** How deep a JSON body may nest arrays and objects (FaDO's own documents nest fewer than 8). */
export const MAX_JSON_DEPTH = 64

/**
 * Does this JSON text nest arrays and objects deeper than `max`? One linear scan, brackets
 * inside strings skipped, so that nothing recursive ever sees a deeper document.
 */
export function nestsDeeperThan(text: string, max: number): boolean {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i)
    if (inString) {
      if (ch === 0x5c)
        i++ // backslash: skip the escaped character
      else if (ch === 0x22) inString = false
    } else if (ch === 0x22) inString = true
    else if (ch === 0x5b || ch === 0x7b) {
      if (++depth > max) return true
    } else if (ch === 0x5d || ch === 0x7d) depth--
  }
  return false
}

/**
 * The request body as JSON: UTF-8, well-formed, nested at most MAX_JSON_DEPTH deep, no NUL or
 * lone surrogate in any string.
 */
export async function readJson(c: Context, what = 'a JSON document'): Promise<unknown> {
  let bytes: Uint8Array
  try {
    bytes = new Uint8Array(await c.req.arrayBuffer())
  } catch (err) {
    // The body stopped coming: the client went away or was cut off (--idle-timeout).
    throw new ClientGoneError(err)
  }
  let text: string
  try {
    text = fatalUtf8.decode(bytes)
  } catch {
    throw invalidField('body', 'must be UTF-8 text')
  }
  if (nestsDeeperThan(text, MAX_JSON_DEPTH))
    throw invalidField(
      'body',
      `must not nest arrays and objects deeper than ${MAX_JSON_DEPTH} levels`,
    )
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw invalidField('body', `must be ${what}`)
  }
  const bad = findBadText(value, '')
  if (bad) throw invalidField(bad[0], bad[1])
  return value
}
