/**
 * A ListObjectsV2 answer read with a few patterns instead of a general XML parser: the listing is
 * the largest thing FaDO reads from storage (every object, every full pass), and minio-js's XML
 * parser took a quarter of a steady pass's CPU. Keys come URL-encoded when the server honours
 * `encoding-type=url` (it says so in <EncodingType>); otherwise they are XML text. Pure: no I/O.
 */
import { xmlUnescape } from './errors.js'
import { stripQuotes } from './transport.js'
import type { ObjectEntry } from './types.js'

export interface ListPage {
  entries: ObjectEntry[]
  /** Where the next page starts; undefined: this was the last. */
  nextToken: string | undefined
}

const CONTENTS = /<Contents>([\s\S]*?)<\/Contents>/g
const field = (xml: string, name: string): string | undefined => {
  const start = xml.indexOf(`<${name}>`)
  if (start < 0) return undefined
  const from = start + name.length + 2
  const end = xml.indexOf(`</${name}>`, from)
  return end < 0 ? undefined : xml.slice(from, end)
}

/** URL-decoded as S3 encodes (RFC 3986; a '+' is a space on servers that write it so). */
const urlDecoded = (value: string): string =>
  value.includes('%') || value.includes('+')
    ? decodeURIComponent(value.replace(/\+/g, '%20'))
    : value

/** An ETag as listed: quoted, the quotes XML-escaped (`&#34;` from MinIO, `&quot;`) or not. */
function etagOf(raw: string): string {
  for (const quote of ['&#34;', '&quot;']) {
    if (raw.startsWith(quote) && raw.endsWith(quote)) {
      const inner = raw.slice(quote.length, -quote.length)
      if (!inner.includes('&')) return inner
    }
  }
  return stripQuotes(xmlUnescape(raw))
}

export function parseListPage(xml: string): ListPage {
  if (!xml.includes('<ListBucketResult')) throw new Error('not a ListObjectsV2 answer')
  const encoded = field(xml, 'EncodingType') === 'url'
  const key = (raw: string) => (encoded ? urlDecoded(raw) : xmlUnescape(raw))
  const entries: ObjectEntry[] = []
  for (const [, contents] of xml.matchAll(CONTENTS)) {
    const name = field(contents as string, 'Key')
    const size = field(contents as string, 'Size')
    const etag = field(contents as string, 'ETag')
    const modified = field(contents as string, 'LastModified')
    if (name === undefined || size === undefined || etag === undefined || modified === undefined)
      throw new Error('an entry without Key, Size, ETag or LastModified')
    entries.push({
      key: key(name),
      size: Number(size),
      etag: etagOf(etag),
      last_modified: new Date(modified),
    })
  }
  // Keys and tokens carry no raw '<' (encoded or escaped), so a tag found is a tag.
  const truncated = field(xml, 'IsTruncated') === 'true'
  const token = field(xml, 'NextContinuationToken')
  if (truncated && token === undefined) throw new Error('a truncated listing without a next token')
  return { entries, nextToken: truncated ? xmlUnescape(token as string) : undefined }
}
