import { describe, expect, it } from 'vitest'
import { exactParts } from './multipart.js'

async function* chunked(data: Buffer, sizes: number[]) {
  let at = 0
  for (let i = 0; at < data.length; i++) {
    const n = sizes[i % sizes.length] as number
    yield data.subarray(at, at + n)
    at += n
  }
}

const collect = async (parts: AsyncIterable<{ bytes: number; chunks: AsyncIterable<Buffer> }>) => {
  const out: Buffer[] = []
  for await (const part of parts) {
    const chunks: Buffer[] = []
    for await (const c of part.chunks) chunks.push(c)
    const whole = Buffer.concat(chunks)
    expect(whole.length).toBe(part.bytes)
    out.push(whole)
  }
  return out
}

describe('exactParts (multipart uploads straight from a stream)', () => {
  const data = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251))

  it.each([
    [[7], 100],
    [[333, 1, 50], 100],
    [[1000], 300],
    [[64], 1000],
    [[1], 999],
  ])(
    'chunks %j cut into parts of %i: exact sizes, same bytes in order',
    async (sizes, partBytes) => {
      const parts = await collect(exactParts(chunked(data, sizes), data.length, partBytes))
      expect(parts.map((p) => p.length)).toEqual(
        Array.from({ length: Math.ceil(1000 / partBytes) }, (_, i) =>
          Math.min(partBytes, 1000 - i * partBytes),
        ),
      )
      expect(Buffer.concat(parts).equals(data)).toBe(true)
    },
  )

  it('a source shorter than its size fails the part it falls short in', async () => {
    await expect(collect(exactParts(chunked(data, [100]), 1200, 500))).rejects.toThrow(
      /ended 200 bytes short/,
    )
  })
})
