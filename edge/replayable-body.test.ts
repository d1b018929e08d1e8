import { PassThrough, type Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { ReplayableBody } from './replayable-body.js'

const readAll = async (stream: Readable): Promise<Buffer> => {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

/** Reads `bytes` from the stream, then destroys it as undici does when a connection fails. */
const readThenDestroy = async (stream: Readable, bytes: number): Promise<void> => {
  let got = 0
  stream.on('error', () => {}) // the transport's own listener
  await new Promise<void>((resolve) => {
    stream.on('data', (chunk: Buffer) => {
      got += chunk.length
      if (got >= bytes) {
        stream.destroy(new Error('connect ECONNREFUSED'))
        resolve()
      }
    })
  })
}

const source = (parts: string[]): PassThrough => {
  const s = new PassThrough()
  for (const p of parts) s.write(p)
  s.end()
  return s
}

describe('ReplayableBody', () => {
  it('an attempt destroyed before reading leaves the whole body for the next', async () => {
    const body = new ReplayableBody(source(['abc', 'def']))
    const first = body.open()
    first.on('error', () => {})
    first.destroy(new Error('connect ECONNREFUSED'))
    expect(body.intact).toBe(true)
    expect((await readAll(body.open())).toString()).toBe('abcdef')
  })

  it('what an attempt read within the bound is replayed, then the rest follows', async () => {
    const src = new PassThrough()
    const body = new ReplayableBody(src, 10)
    const first = body.open()
    src.write('abcd')
    await readThenDestroy(first, 4)
    expect(body.intact).toBe(true)
    const second = body.open()
    src.write('efgh')
    src.end()
    expect((await readAll(second)).toString()).toBe('abcdefgh')
    // A third attempt still gets everything: the whole body fit the bound.
    expect((await readAll(body.open())).toString()).toBe('abcdefgh')
  })

  it('a body read past the bound is no longer intact and cannot be opened again', async () => {
    const src = new PassThrough()
    const body = new ReplayableBody(src, 4)
    const first = body.open()
    src.write('abcdef')
    await readThenDestroy(first, 6)
    expect(body.intact).toBe(false)
    expect(() => body.open()).toThrow(/can no longer be sent again/)
  })

  it('a client that fails mid-body makes the body neither intact nor sendable', async () => {
    const src = new PassThrough()
    const body = new ReplayableBody(src)
    const attempt = body.open()
    const failed = new Promise((resolve) => attempt.on('error', resolve))
    src.write('ab')
    src.destroy(new Error('aborted'))
    expect(((await failed) as Error).message).toBe('aborted')
    expect(body.intact).toBe(false)
    expect(body.clientFailed).toBe(true)
  })

  it('release drains the rest of the body', async () => {
    const src = source(['x'.repeat(100_000)])
    const body = new ReplayableBody(src)
    body.release()
    await new Promise((resolve) => src.on('end', resolve))
    expect(body.intact).toBe(false)
    expect(body.keptBytes).toBe(0)
  })
})
