/**
 * Request input → typed value, or a 400 naming the field at fault. Bodies are strict objects:
 * an unknown field is an error too (it is usually a typo that would otherwise be ignored).
 */
import type { Context } from 'hono'
import { z } from 'zod'
import { FadoError, invalidField } from '../lib/errors.js'
import { isTriggerTarget } from '../../edge/snapshot.js'
import { readJson } from './input.js'
import { FOREIGN_KEY_VIOLATION, UNIQUE_VIOLATION } from '../db/client.js'

export function fieldPath(path: readonly PropertyKey[]): string {
  return path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
    .join('')
}

function toFadoError(error: z.ZodError): FadoError {
  const issue = error.issues[0]
  if (!issue) return invalidField('body', 'invalid')
  if (issue.code === 'unrecognized_keys') {
    const prefix = fieldPath(issue.path)
    const key = issue.keys[0] ?? ''
    return invalidField(prefix ? `${prefix}.${key}` : key, 'unknown field')
  }
  const field = fieldPath(issue.path) || 'body'
  return invalidField(field, issue.message)
}

export function parseWith<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value)
  if (!result.success) throw toFadoError(result.error)
  return result.data
}

export async function parseBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  return parseWith(schema, await readJson(c))
}

/**
 * Fields a client may send back as GET gave them but not change (PUT takes what GET gave): equal
 * to the current value → accepted and ignored; different → 400 naming the field.
 */
export const readOnly = z.unknown().optional()

export function checkUnchanged(
  input: Record<string, unknown>,
  current: Record<string, unknown>,
  fields: readonly string[],
  hint: string,
): void {
  for (const field of fields) {
    if (input[field] === undefined) continue
    if (JSON.stringify(input[field]) !== JSON.stringify(current[field])) {
      throw invalidField(
        field,
        `cannot be changed (it is ${JSON.stringify(current[field])}); ${hint}`,
      )
    }
  }
}

/** A path id such as /api/clusters/{cluster_id}: a positive integer, else 400 naming it. */
export function parseId(raw: string | undefined, field: string): number {
  if (raw === undefined || !/^[1-9][0-9]{0,9}$/.test(raw) || Number(raw) > 2147483647) {
    throw invalidField(field, 'must be a positive integer')
  }
  return Number(raw)
}

/** Names shown in headers and URLs: letters, digits, '.', '_', '-'; 1 to 63 characters. */
export const name = z
  .string({ error: 'must be a string' })
  .trim()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, {
    error: "must be 1 to 63 letters, digits, '.', '_' or '-', starting with a letter or digit",
  })

export const zones = z
  .array(name, { error: 'must be an array of zone names' })
  .max(64, { error: 'at most 64 zones' })
  .refine((list) => new Set(list).size === list.length, { error: 'must not repeat a zone' })

/**
 * A number from `min` to `max` (a whole one unless `whole` is false), else one message naming the
 * range — e.g. "must be a whole number from 0 to 100".
 */
export function between(
  min: number,
  max: number,
  whole = true,
  error = `must be ${whole ? 'a whole number' : 'a number'} from ${min} to ${max}`,
) {
  const n = z.number({ error }).min(min, { error }).max(max, { error })
  return whole ? n.int({ error }) : n
}

export const id = z
  .number({ error: 'must be a positive integer' })
  .int({ error: 'must be a positive integer' })
  .positive({ error: 'must be a positive integer' })
  .max(2147483647, { error: 'must be a positive integer' })

/** http(s) URL, maybe with a path prefix; no credentials, query or fragment. Trailing '/' dropped. */
export const httpUrl = z.string({ error: 'must be a string' }).transform((raw, ctx) => {
  let url: URL
  try {
    url = new URL(raw.trim())
  } catch {
    ctx.addIssue({ code: 'custom', message: 'must be an absolute http:// or https:// URL' })
    return z.NEVER
  }
  const problem =
    url.protocol !== 'http:' && url.protocol !== 'https:'
      ? 'must use http:// or https://'
      : url.username || url.password
        ? 'must not contain credentials'
        : url.search || url.hash || raw.includes('?') || raw.includes('#')
          ? 'must not contain a query or fragment'
          : undefined
  if (problem) {
    ctx.addIssue({ code: 'custom', message: problem })
    return z.NEVER
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`
})

/** Turns the database's own constraint errors into API errors, in case a check raced. (Lost
 * connections and timeouts arrive as DatabaseUnavailableError from the database layer.) */
export function fromDatabaseError(err: unknown): FadoError | undefined {
  if (typeof err !== 'object' || err === null) return undefined
  const e = err as { code?: unknown; constraint?: unknown; table?: unknown }
  const constraint = typeof e.constraint === 'string' ? e.constraint : ''
  const table = typeof e.table === 'string' ? e.table : ''
  const field =
    constraint.startsWith(`${table}_`) && constraint.endsWith('_key')
      ? constraint.slice(table.length + 1, -4)
      : constraint.replace(/_fkey$/, '')
  if (e.code === UNIQUE_VIOLATION)
    return new FadoError(409, 'conflict', `${field}: already in use`, { field })
  if (e.code === FOREIGN_KEY_VIOLATION)
    return invalidField(field, 'refers to something that does not exist')
  return undefined
}

/** S3 bucket naming rules: 3–63 of a-z 0-9 . -, starting and ending alphanumeric, not an IP. */
export const bucketName = z
  .string({ error: 'must be a string' })
  .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, {
    error:
      "must be 3 to 63 lowercase letters, digits, '.' or '-', starting and ending with a letter or digit",
  })
  .refine((n) => !n.includes('..'), { error: "must not contain '..'" })
  .refine((n) => !/^\d+\.\d+\.\d+\.\d+$/.test(n), { error: 'must not look like an IP address' })
  .refine((n) => !n.startsWith('xn--') && !n.endsWith('-s3alias'), {
    error: 'uses a prefix or suffix S3 reserves',
  })

/** "host:port" of a storage deployment, no scheme or path. */
export const endpoint = z
  .string({ error: 'must be a string' })
  .trim()
  // IPv6 literals ([::1]:9000) are refused here, not half-supported: the storage client cannot
  // address them.
  .refine((e) => !e.startsWith('['), {
    error: 'an IPv6 address is not supported: give a host name or an IPv4 address',
  })
  .regex(/^[A-Za-z0-9.-]+:\d{1,5}$/, {
    error: "must be 'host:port' without a scheme",
  })
  .refine((e) => Number(e.slice(e.lastIndexOf(':') + 1)) <= 65535, {
    error: 'port must be at most 65535',
  })

/** S3 object keys: at most 1024 bytes of UTF-8. */
export const MAX_KEY_BYTES = 1024

/**
 * An object key by S3's rules, and safe to put in a URL: 1 to 1024 bytes of UTF-8, no control
 * characters, no empty segment (leading '/', '//'), no '.' or '..' segment — URL handling
 * resolves those, so such a key could address another object or bucket.
 */
export function objectKey(key: string, field: string): string {
  if (key.length === 0) throw invalidField(field, 'must name an object')
  if (Buffer.byteLength(key) > MAX_KEY_BYTES)
    throw invalidField(field, `must be at most ${MAX_KEY_BYTES} bytes of UTF-8`)
  // eslint-disable-next-line no-control-regex -- refusing control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(key))
    throw invalidField(field, 'must not contain control characters')
  const segments = key.split('/')
  if (segments.some((s) => s === '.' || s === '..'))
    throw invalidField(field, "must not contain '.' or '..' path segments")
  if (segments.some((s) => s === '') && key !== '')
    throw invalidField(field, "must not start with '/' or contain '//'")
  return key
}

/**
 * A function trigger's target: a path appended to the FaaS deployment's URL (`/function/resize`:
 * segments of URL path characters, no '.' or '..', no query), or an absolute http(s) URL of the
 * function's own (a Knative host, a Lambda function URL; no credentials, query or fragment;
 * trailing '/' dropped).
 */
export const triggerTarget = z.string({ error: 'must be a string' }).transform((raw, ctx) => {
  const value = raw.trim()
  if (value.startsWith('/')) {
    const path = value.replace(/\/+$/, '')
    if (!isTriggerTarget(path)) {
      ctx.addIssue({
        code: 'custom',
        message:
          "must be a path like /function/resize (letters, digits and - . _ ~ ! $ & ' ( ) * + , ; = : @ between slashes; no '.' or '..' segment, no query)",
      })
      return z.NEVER
    }
    return path
  }
  const url = httpUrl.safeParse(value)
  if (!url.success || !isTriggerTarget(url.data)) {
    ctx.addIssue({
      code: 'custom',
      message: `must be a path starting with '/' or an absolute http(s) URL${url.success ? '' : ` (${url.error.issues[0]?.message ?? 'invalid'})`}`,
    })
    return z.NEVER
  }
  return url.data
})
