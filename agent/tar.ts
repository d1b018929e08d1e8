/**
 * Pure: tar archives (POSIX pax) of in-memory files, for MinIO's snowball upload (a PUT whose body
 * is a tar that the server extracts into one object per entry). Each entry carries a pax header:
 * `path` holds the full key (UTF-8, any length), and `minio.metadata.<Header>` records become the
 * object's headers (Content-Type, X-Amz-Meta-*), which MinIO reads from there.
 */

export interface TarFile {
  name: string
  data: Uint8Array
  mtime: Date
  /** Extra pax records (key → value), e.g. minio.metadata.Content-Type. */
  pax?: Record<string, string>
}

const BLOCK = 512

/** The two zero blocks that end an archive. */
export const TAR_END = new Uint8Array(2 * BLOCK)

/** Bytes an entry takes in the archive (pax header + header + data, each in whole blocks). */
export function tarSize(file: TarFile): number {
  return BLOCK + padded(paxRecords(file).length) + BLOCK + padded(file.data.length)
}

const padded = (n: number): number => Math.ceil(n / BLOCK) * BLOCK

/** "<len> key=value\n", where len counts the whole record in bytes, its own digits included. */
function record(key: string, value: string): string {
  const body = ` ${key}=${value}\n`
  const bytes = Buffer.byteLength(body)
  let len = bytes + String(bytes).length
  // Adding the digits may add a digit (e.g. 98 + 2 = 100).
  if (String(len).length > String(bytes).length) len = bytes + String(len).length
  return `${len}${body}`
}

function paxRecords(file: TarFile): Buffer {
  let text = record('path', file.name)
  for (const [k, v] of Object.entries(file.pax ?? {})) text += record(k, v)
  return Buffer.from(text, 'utf8')
}

const octal = (n: number, width: number): string => n.toString(8).padStart(width - 1, '0') + '\0'

function header(name: string, size: number, mtime: Date, type: '0' | 'x'): Buffer {
  const h = Buffer.alloc(BLOCK, 0)
  // The real name is in the pax header; this one only needs to be plain ASCII.
  h.write(name.replace(/[^\x20-\x7e]/g, '_').slice(0, 99), 0, 'ascii')
  h.write(octal(0o644, 8), 100)
  h.write(octal(0, 8), 108)
  h.write(octal(0, 8), 116)
  h.write(octal(size, 12), 124)
  h.write(octal(Math.max(1, Math.floor(mtime.getTime() / 1000)), 12), 136)
  h.write('        ', 148)
  h.write(type, 156)
  h.write('ustar\0', 257)
  h.write('00', 263)
  let sum = 0
  for (const b of h) sum += b
  h.write(octal(sum, 7) + ' ', 148)
  return h
}

/** One entry's blocks: its pax header, its header, its data padded to a whole block. */
export function tarEntry(file: TarFile): Buffer[] {
  const pax = paxRecords(file)
  const out = [header('PaxHeader', pax.length, file.mtime, 'x'), pax]
  if (pax.length % BLOCK) out.push(Buffer.alloc(BLOCK - (pax.length % BLOCK)))
  out.push(header(file.name, file.data.length, file.mtime, '0'), Buffer.from(file.data))
  if (file.data.length % BLOCK) out.push(Buffer.alloc(BLOCK - (file.data.length % BLOCK)))
  return out
}

/** A whole archive. */
export function tarArchive(files: Iterable<TarFile>): Buffer {
  const blocks: Buffer[] = []
  for (const f of files) blocks.push(...tarEntry(f))
  blocks.push(Buffer.from(TAR_END))
  return Buffer.concat(blocks)
}
