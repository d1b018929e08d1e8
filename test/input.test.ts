/**
 * Bounded, checked input, against a real control (embedded database) with a real MinIO: body and
 * object size limits (413), idle rather than total timeouts on long transfers, NUL and invalid
 * UTF-8 anywhere (400 naming the part), S3 key rules, /api/notify records, malformed multipart,
 * JSON for unknown paths with any method, and PUT accepting what GET gave. After every refusal,
 * nothing changed.
 */
import net from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestControl, TEST_TOKEN, type TestControl } from './helpers/control.js'
import { sleep } from './helpers/faults.js'
import { startMinio, type TestMinio } from './helpers/minio.js'
import { listing, randomData, trackBody } from './helpers/storage.js'

const MAX_OBJECT = 4 * 1024 * 1024
const IDLE = 1_500

let fado: TestControl
let minio: TestMinio
let storageId: number
let bucket: { bucket_id: number; name: string }

beforeAll(async () => {
  minio = await startMinio()
  fado = await startTestControl(
    { kind: 'pglite-memory' },
    { config: { maxObjectSize: MAX_OBJECT, idleTimeout: IDLE } },
  )
  const cluster = (await fado.api('POST', '/api/clusters', { name: 'site' })).body.cluster_id
  storageId = (await fado.api('POST', '/api/storage-deployments', trackBody(minio, 'm', cluster)))
    .body.storage_id
  bucket = (await fado.api('POST', '/api/buckets', { name: 'inputs', storage_id: storageId })).body
}, 120_000)

afterAll(async () => {
  await fado?.close()
  await minio?.destroy()
})

const state = async () => {
  await fado.running.reconciler.whenIdle()
  return (await fado.api('GET', '/api/resources')).text
}

/** A call that must be refused with `status`, naming `field`, changing nothing. */
async function refused(
  status: number,
  call: () => Promise<Response>,
  field?: string,
): Promise<{ code: string; message: string; field?: string }> {
  const before = await state()
  const res = await call()
  const text = await res.text()
  expect(res.status, text).toBe(status)
  expect(res.headers.get('content-type')).toMatch(/^application\/json/)
  const error = JSON.parse(text).error
  expect(error).toMatchObject({ code: expect.any(String), message: expect.any(String) })
  if (field !== undefined) expect(error.field, text).toBe(field)
  expect(await state()).toBe(before)
  return error
}

const raw = (path: string, init: RequestInit = {}) => fado.fetch(path, init)

/**
 * Sends a request on a raw socket, reading the answer while the body is still going out (as curl
 * does), and resolves with it as a Response once the server has answered and closed.
 */
function socketRequest(requestLine: string, headers: string, body: Buffer): Promise<Response> {
  return new Promise((resolve, reject) => {
    const port = Number(new URL(fado.running.apiUrl).port)
    const socket = net.connect(port, '127.0.0.1')
    let received = Buffer.alloc(0)
    let done = false
    /** The answer, once its head and Content-Length bytes are in. */
    const answer = (): Response | undefined => {
      const text = received.toString('latin1')
      const end = text.indexOf('\r\n\r\n')
      if (end < 0) return undefined
      const head = text.slice(0, end)
      const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? NaN)
      const payload = text.slice(end + 4)
      if (!(payload.length >= length)) return undefined
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0)
      const type = /content-type: ([^\r\n]+)/i.exec(head)?.[1] ?? ''
      return new Response(payload.slice(0, length), { status, headers: { 'content-type': type } })
    }
    const finish = (res: Response | undefined) => {
      if (done) return
      done = true
      socket.destroy()
      if (res) resolve(res)
      else reject(new Error(`no answer: ${received.toString('latin1').slice(0, 200)}`))
    }
    socket.on('data', (d: Buffer) => {
      received = Buffer.concat([received, d])
      const res = answer()
      if (res) finish(res)
    })
    socket.on('error', () => {}) // EPIPE/ECONNRESET once the server stops reading
    socket.on('close', () => finish(answer()))
    socket.write(
      `${requestLine} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${TEST_TOKEN}\r\n${headers}\r\n\r\n`,
    )
    let offset = 0
    const pump = () => {
      while (offset < body.length && !done) {
        const piece = body.subarray(offset, offset + 65536)
        offset += piece.length
        if (!socket.write(piece)) return void socket.once('drain', pump)
      }
    }
    pump()
  })
}
const json = (method: string, path: string, body: string | Uint8Array) =>
  fado.fetch(path, {
    method,
    body: body as BodyInit,
    headers: { 'content-type': 'application/json' },
  })

describe('body limits', () => {
  it('a JSON body over 1 MiB is 413 without being read into memory', async () => {
    const big = JSON.stringify({ name: 'x', zones: ['a'.repeat(1024 * 1024)] })
    const error = await refused(413, () => json('POST', '/api/clusters', big), 'body')
    expect(error.code).toBe('too_large')
    expect(error.message).toMatch(/1 MiB/)
  })

  it('an object over --max-object-size is 413: declared length, chunked and multipart', async () => {
    const over = randomData(MAX_OBJECT + 1)
    // Refused before a byte of the body is read.
    await refused(
      413,
      () =>
        socketRequest(
          'PUT /api/objects?path=inputs/declared.bin',
          `Content-Length: ${over.length}`,
          over,
        ),
      'body',
    )
    // Bodies of unknown length are refused once they pass the limit; the answer arrives while
    // the client is still sending (as curl reads it), then the connection is closed.
    const chunked = Buffer.concat([
      Buffer.from(`${over.length.toString(16)}\r\n`),
      over,
      Buffer.from('\r\n0\r\n\r\n'),
    ])
    await refused(
      413,
      () =>
        socketRequest(
          'PUT /api/objects?path=inputs/chunked.bin',
          'Transfer-Encoding: chunked',
          chunked,
        ),
      'body',
    )
    const boundary = 'limit-boundary'
    const form = Buffer.concat([
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="bucket"\r\n\r\ninputs\r\n` +
          `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="form.bin"\r\n\r\n`,
      ),
      over,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ])
    await refused(
      413,
      () =>
        socketRequest(
          'POST /api/objects',
          `Content-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${form.length}`,
          form,
        ),
      'file',
    )
    expect(await listing(minio, 'inputs')).toEqual({})
    // At the limit it is fine.
    const ok = await raw(`/api/objects?path=inputs/exact.bin`, {
      method: 'PUT',
      body: new Uint8Array(randomData(MAX_OBJECT)),
    })
    expect(ok.status).toBe(201)
  })
})

describe('long transfers are governed by an idle timeout, not a total one', () => {
  /** A raw PUT sent in `chunks` pieces, `gapMs` apart; resolves with the status line or ''. */
  const trickle = (chunks: number, gapMs: number, stallAfter?: number) =>
    new Promise<string>((resolve) => {
      const port = Number(new URL(fado.running.apiUrl).port)
      const piece = Buffer.alloc(1024, 7)
      const socket = net.connect(port, '127.0.0.1')
      let answer = ''
      socket.on('data', (d) => (answer += d.toString()))
      socket.on('close', () => resolve(answer.split('\r\n')[0] ?? ''))
      socket.on('error', () => {})
      socket.write(
        `PUT /api/objects?path=inputs/trickle.bin HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TEST_TOKEN}\r\nContent-Length: ${chunks * piece.length}\r\nConnection: close\r\n\r\n`,
      )
      let sent = 0
      const next = () => {
        if (sent === stallAfter) return // the client goes silent
        if (sent === chunks) return
        sent++
        socket.write(piece)
        setTimeout(next, gapMs)
      }
      next()
    })

  it('an upload that keeps moving for several idle periods completes', async () => {
    const started = Date.now()
    // 14 chunks 500 ms apart: 6.5 s in all, more than four times the 1.5 s idle timeout.
    expect(await trickle(14, 500)).toMatch(/^HTTP\/1\.1 201/)
    expect(Date.now() - started).toBeGreaterThan(4 * IDLE)
    expect((await fado.api('GET', '/api/objects?bucket=inputs')).body.objects).toContainEqual(
      expect.objectContaining({ name: 'trickle.bin', size: 14 * 1024 }),
    )
  })

  it('an upload whose client goes silent is cut off after the idle timeout, recording nothing', async () => {
    await fado.api('DELETE', '/api/objects?path=inputs/trickle.bin')
    const started = Date.now()
    const status = await trickle(12, 100, 3)
    const took = Date.now() - started
    expect(status).not.toMatch(/^HTTP\/1\.1 2/)
    expect(took).toBeGreaterThanOrEqual(IDLE - 100)
    expect(took).toBeLessThan(IDLE + 3_000)
    await sleep(200)
    expect(
      (await fado.api('GET', '/api/objects?bucket=inputs')).body.objects.map(
        (o: { name: string }) => o.name,
      ),
    ).not.toContain('trickle.bin')
  })
})

describe('NUL and invalid UTF-8 are refused wherever they appear, naming the part', () => {
  it('JSON strings, field names, whole bodies', async () => {
    await refused(400, () => json('POST', '/api/clusters', '{"name":"a\\u0000b"}'), 'name')
    await refused(
      400,
      () => json('POST', '/api/clusters', '{"name":"ok","zones":["eu","x\\u0000"]}'),
      'zones[1]',
    )
    await refused(400, () => json('POST', '/api/clusters', '{"name":"\\ud800"}'), 'name')
    await refused(
      400,
      () => json('POST', '/api/clusters', new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x7d])),
      'body',
    )
  })

  it('query values, query names and the URL path', async () => {
    for (const q of ['bucket=%00', 'bucket=%FF', 'bucket=%C3%28', 'bucket=%', 'bucket=%ED%A0%80']) {
      await refused(400, () => raw(`/api/objects?${q}`), 'bucket')
    }
    await refused(400, () => raw('/api/objects?path=inputs%2Fa%00b'), 'path')
    await refused(400, () => raw('/api/objects?%00=1'), 'query')
    await refused(400, () => raw('/api/buckets/%00'), 'url')
    await refused(400, () => raw('/api/clusters/%FF'), 'url')
  })
})

describe('object keys follow S3 rules and cannot leave their bucket', () => {
  it('dot segments, empty segments, control characters and keys over 1024 bytes are 400 path', async () => {
    await fado.api('POST', '/api/buckets', { name: 'victim-bucket', storage_id: storageId })
    const keys = [
      'x/../../victim-bucket/planted',
      '../victim-bucket/planted',
      'a/./b',
      '..',
      '/leading',
      'a//b',
      'trailing/',
      'tab\there',
      'k'.repeat(1025),
      'é'.repeat(513), // 1026 bytes
    ]
    for (const key of keys) {
      const error = await refused(
        400,
        () =>
          raw(`/api/objects?path=inputs/${encodeURIComponent(key)}`, {
            method: 'PUT',
            body: 'planted',
          }),
        'path',
      )
      expect(error.message).toMatch(/path:/)
    }
    expect(await listing(minio, 'victim-bucket')).toEqual({})
    // A key of 1024 bytes with spaces and non-ASCII letters is fine (segments ≤ 255 bytes, as
    // MinIO stores each segment as a file name).
    const prefix = 'dir/with space/ünïcödé/'
    const rest = 1024 - Buffer.byteLength(prefix)
    const ok = `${prefix}${Array.from({ length: Math.ceil(rest / 201) }, (_, i) =>
      'k'.repeat(Math.min(200, rest - i * 201 - 1)),
    ).join('/')}`
    expect(Buffer.byteLength(ok)).toBeLessThanOrEqual(1024)
    expect(Buffer.byteLength(ok)).toBeGreaterThan(1015)
    const res = await raw(`/api/objects?path=inputs/${encodeURIComponent(ok)}`, {
      method: 'PUT',
      body: 'fine',
    })
    expect(res.status, await res.text()).toBe(201)
  })
})

describe('/api/notify validates its records', () => {
  it.each([
    ['a null record', 'Records[0]', { Records: [null] }],
    [
      'a number as event name',
      'Records[0].eventName',
      { Records: [{ eventName: 5, s3: { bucket: { name: 'inputs' } } }] },
    ],
    [
      'a bucket without name',
      'Records[0].s3.bucket.name',
      { Records: [{ eventName: 's3:ObjectCreated:Put', s3: { bucket: {} } }] },
    ],
    [
      'an object key that is not a string',
      'Records[0].s3.object.key',
      { Records: [{ eventName: 'x', s3: { bucket: { name: 'inputs' }, object: { key: ['k'] } } }] },
    ],
    ['Records not an array', 'Records', { Records: 'all' }],
    ['no Records', 'Records', { EventName: 'x' }],
    ['null', 'body', null],
  ])('%s → 400 naming %s', async (_what, field, body) => {
    await refused(400, () => json('POST', '/api/notify', JSON.stringify(body)), field)
  })
})

describe('malformed multipart', () => {
  it.each([
    ['a truncated part', '--b\r\nContent-Disposition: form-data; name="bucket"\r\n\r\ninputs'],
    ['no parts', '--b--\r\n'],
    ['garbage', '\u0010\u0033\u00ce\u0008'],
  ])('%s → 400', async (_what, payload) => {
    await refused(400, () =>
      raw('/api/objects', {
        method: 'POST',
        body: payload,
        headers: { 'content-type': 'multipart/form-data; boundary=b' },
      }),
    )
  })

  it('a boundary-less content type → 400 body', async () => {
    await refused(
      400,
      () =>
        raw('/api/objects', {
          method: 'POST',
          body: 'x',
          headers: { 'content-type': 'multipart/form-data' },
        }),
      'body',
    )
  })
})

describe('unknown paths answer JSON, whatever the method', () => {
  it.each(['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'])(
    '%s /anything → 404 JSON',
    async (method) => {
      const error = await refused(404, () => raw('/anything/at/all', { method }))
      expect(error.code).toBe('not_found')
    },
  )
  it('GET /api/nope → 404 JSON', async () => {
    await refused(404, () => raw('/api/nope'))
  })
})

describe('PUT takes what GET gave', () => {
  it('a bucket as GET returned it, with a changed policy, is accepted', async () => {
    const got = (await fado.api('GET', `/api/buckets/${bucket.bucket_id}`)).body
    const res = await fado.api('PUT', `/api/buckets/${bucket.bucket_id}`, {
      ...got,
      zones: ['eu'],
    })
    expect(res.status, res.text).toBe(200)
    expect(res.body).toMatchObject({ name: 'inputs', storage_id: storageId, zones: ['eu'] })
  })

  it('a changed fixed field is 400 naming it', async () => {
    const got = (await fado.api('GET', `/api/buckets/${bucket.bucket_id}`)).body
    for (const [field, value] of [
      ['name', 'renamed'],
      ['storage_id', storageId + 1],
      ['bucket_id', bucket.bucket_id + 1],
    ] as const) {
      const error = await refused(
        400,
        () =>
          json(
            'PUT',
            `/api/buckets/${bucket.bucket_id}`,
            JSON.stringify({ ...got, [field]: value }),
          ),
        field,
      )
      expect(error.message).toMatch(/cannot be changed/)
    }
  })

  it('clusters and FaaS deployments round-trip too', async () => {
    const cluster = (await fado.api('GET', '/api/clusters')).body[0]
    expect((await fado.api('PUT', `/api/clusters/${cluster.cluster_id}`, cluster)).status).toBe(200)
    await refused(
      400,
      () =>
        json(
          'PUT',
          `/api/clusters/${cluster.cluster_id}`,
          JSON.stringify({ ...cluster, cluster_id: 999 }),
        ),
      'cluster_id',
    )
    const faas = await fado.api('POST', '/api/faas-deployments', {
      cluster_id: cluster.cluster_id,
      url: 'http://127.0.0.1:9/f',
    })
    expect(
      (await fado.api('PUT', `/api/faas-deployments/${faas.body.faas_id}`, faas.body)).status,
    ).toBe(200)
  })
})
