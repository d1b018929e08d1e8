/**
 * One pull of the route snapshot from control (GET /api/snapshot), the same on Node and Workers:
 * the edge token, If-None-Match naming the snapshot last received, a timeout, and a size cap that
 * holds whatever the answer claims (the body is read up to the cap, then refused).
 */

export interface PullOptions {
  /** control's /api/snapshot URL. */
  url: string
  token: string
  /** ETag of the snapshot last received ('' for none). */
  lastTag: string
  /** Long poll: control answers when a different snapshot is published, else 304 after this. */
  waitS?: number
  timeoutMs: number
  maxBytes: number
}

export type Pulled = { changed: false } | { changed: true; body: unknown; etag: string }

export async function pullSnapshot(opts: PullOptions): Promise<Pulled> {
  const res = await fetch(opts.waitS === undefined ? opts.url : `${opts.url}?wait=${opts.waitS}`, {
    headers: {
      authorization: `Bearer ${opts.token}`,
      ...(opts.lastTag ? { 'if-none-match': opts.lastTag } : {}),
    },
    signal: AbortSignal.timeout(opts.timeoutMs),
  })
  if (res.status === 304) {
    await res.body?.cancel()
    return { changed: false }
  }
  if (!res.ok) {
    await res.body?.cancel()
    throw new Error(`control answered ${res.status}`)
  }
  if (Number(res.headers.get('content-length') ?? 0) > opts.maxBytes) {
    await res.body?.cancel()
    throw new Error(`snapshot larger than ${opts.maxBytes} bytes`)
  }
  return {
    changed: true,
    body: JSON.parse(await readCapped(res, opts.maxBytes)),
    etag: res.headers.get('etag') ?? '',
  }
}

async function readCapped(res: Response, maxBytes: number): Promise<string> {
  if (!res.body) return ''
  const reader = res.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > maxBytes) {
      await reader.cancel()
      throw new Error(`snapshot larger than ${maxBytes} bytes`)
    }
    chunks.push(value)
  }
  const all = new Uint8Array(size)
  let at = 0
  for (const c of chunks) {
    all.set(c, at)
    at += c.byteLength
  }
  return new TextDecoder().decode(all)
}
