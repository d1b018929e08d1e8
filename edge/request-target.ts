/**
 * Pure: the request target an edge forwards. Only origin-form (`/path?query`) is accepted —
 * absolute-form (`http://host/…`, meant for forward proxies) and asterisk-form (`*`) are not an
 * invocation. Dot segments, plain or percent-encoded (`.`, `..`, `%2e%2E`), are resolved as
 * RFC 3986 §5.2.4 says before the path is appended to the upstream's prefix, so no request can
 * climb out of it (`/../../admin` is refused, not sent as `/function/foo/../../admin`). Encoded
 * slashes and backslashes, which servers disagree about, are refused too.
 */
export type TargetResult = { ok: true; path: string; query: string } | { ok: false; reason: string }

// eslint-disable-next-line no-control-regex -- control characters are what is refused
const CONTROL = /[\u0000-\u001f\u007f]/

const isDot = (segment: string): boolean => /^(?:\.|%2e)$/i.test(segment)
const isDotDot = (segment: string): boolean => /^(?:\.|%2e){2}$/i.test(segment)

export function normalizeTarget(raw: string): TargetResult {
  if (raw === '*')
    return { ok: false, reason: 'asterisk-form targets (OPTIONS *) are not invocations' }
  if (!raw.startsWith('/'))
    return { ok: false, reason: 'only origin-form targets (/path?query) are forwarded' }
  const q = raw.indexOf('?')
  const rawPath = q < 0 ? raw : raw.slice(0, q)
  const query = q < 0 ? '' : raw.slice(q)
  if (rawPath.startsWith('//')) return { ok: false, reason: 'the path must not start with //' }
  if (/%2f|%5c|\\/i.test(rawPath))
    return { ok: false, reason: "the path must not contain an encoded '/' or a '\\'" }
  if (/%00/.test(rawPath) || CONTROL.test(rawPath))
    return { ok: false, reason: 'the path must not contain control characters' }
  const input = rawPath.split('/').slice(1)
  const output: string[] = []
  for (const [i, segment] of input.entries()) {
    const last = i === input.length - 1
    if (isDot(segment)) {
      if (last) output.push('')
      continue
    }
    if (isDotDot(segment)) {
      if (output.length === 0)
        return { ok: false, reason: "the path climbs above its root with '..'" }
      output.pop()
      if (last) output.push('')
      continue
    }
    output.push(segment)
  }
  return { ok: true, path: `/${output.join('/')}`, query }
}

/**
 * What follows the upstream's URL: the normalized path and query — except that a function
 * trigger's URL is the function itself, so a request for `/` appends nothing to it.
 */
export function forwardedRest(
  upstream: { trigger?: true | undefined },
  target: { path: string; query: string },
): string {
  return upstream.trigger && target.path === '/' ? target.query : target.path + target.query
}
