/**
 * Carries out one piece of work with the pre-signed URLs it came with: reads each object from the
 * master, writes it to the replica — one streamed GET → PUT, a multipart upload part by part
 * (each part a ranged GET), or a batch of small objects as one snowball PUT of a tar. An object
 * whose master ETag is not the one the work names changed since the pass listed it ('changed':
 * its change comes on its own), one the master no longer has is 'gone'. A URL that expired on the
 * way is signed again by control (`freshUrls`) and the step retried. Every storage request is
 * bounded in time (to connect, for the answer, between body chunks).
 */
import { request, type Dispatcher } from 'undici'
import { SOURCE_ETAG_META, type ReportedObject, type WorkOrder } from './protocol.js'
import { tarArchive, type TarFile } from './tar.js'
import { completeMultipartXml, xmlUnescape } from './s3-xml.js'

export interface CarryOptions {
  dispatcher: Dispatcher
  /** Storage requests: ms for an answer to start and between body chunks. */
  timeoutMs: number
  /** Control signs the work's URLs again (one expired). */
  freshUrls(): Promise<WorkOrder>
  signal: AbortSignal
  /** Told once per URL renewal. */
  renewed?: () => void
}

export interface Carried {
  objects: ReportedObject[]
  bytes: number
}

/** A storage answer that fails the work, with what the server said. */
export class StorageRefused extends Error {}
class UrlExpired extends Error {}

const BATCH_READS = 8
const URL_RENEWALS = 5

const strip = (etag: unknown): string => String(etag ?? '').replace(/^"|"$/g, '')

async function send(
  o: CarryOptions,
  url: string,
  init: {
    method?: Dispatcher.HttpMethod
    headers?: Record<string, string>
    body?: NonNullable<Dispatcher.DispatchOptions['body']>
  },
  what: string,
): Promise<Dispatcher.ResponseData> {
  try {
    return await request(url, {
      method: init.method ?? 'GET',
      headers: init.headers ?? {},
      body: init.body ?? null,
      dispatcher: o.dispatcher,
      headersTimeout: o.timeoutMs,
      bodyTimeout: o.timeoutMs,
      signal: o.signal,
    })
  } catch (err) {
    const code = (err as { code?: string }).code
    throw new StorageRefused(
      `could not reach storage to ${what} (${new URL(url).host}): ${code ?? (err as Error).message}`,
      { cause: err },
    )
  }
}

/** A non-2xx answer as an error: UrlExpired when the signature's time ran out. */
async function refusal(res: Dispatcher.ResponseData, what: string): Promise<Error> {
  const text = await res.body.text().catch(() => '')
  if (res.statusCode === 403 && /Request has expired/i.test(text))
    return new UrlExpired(`${what}: the pre-signed URL expired`)
  const code = /<Code>([^<]+)<\/Code>/.exec(text)?.[1] ?? ''
  const message = /<Message>([^<]+)<\/Message>/.exec(text)?.[1] ?? ''
  return new StorageRefused(`${what}: storage answered ${res.statusCode} ${code} ${message}`.trim())
}

/** Runs a step; when one of its URLs expired, gets fresh URLs and runs it again. */
async function withFreshUrls<T>(
  order: WorkOrder,
  o: CarryOptions,
  step: (order: WorkOrder) => Promise<T>,
): Promise<{ value: T; order: WorkOrder }> {
  let current = order
  for (let attempt = 0; ; attempt++) {
    try {
      return { value: await step(current), order: current }
    } catch (err) {
      if (!(err instanceof UrlExpired) || attempt >= URL_RENEWALS) throw err
      current = await o.freshUrls()
      o.renewed?.()
    }
  }
}

export async function carry(order: WorkOrder, o: CarryOptions): Promise<Carried> {
  if (order.kind === 'batch') return carryBatch(order, o)
  if (order.multipart) return carryMultipart(order, o)
  return carrySingle(order, o)
}

/** GET of one master object: the answer, or its outcome when it is gone or changed. */
async function readMaster(
  o: CarryOptions,
  url: string,
  wanted: { key: string; etag: string },
  range?: string,
): Promise<Dispatcher.ResponseData | ReportedObject> {
  const what = `read ${wanted.key} from the master`
  const res = await send(o, url, range ? { headers: { range } } : {}, what)
  if (res.statusCode === 404) {
    await res.body.dump()
    return { key: wanted.key, outcome: 'gone' }
  }
  if (res.statusCode !== 200 && res.statusCode !== 206) throw await refusal(res, what)
  if (strip(res.headers.etag) !== wanted.etag) {
    res.body.destroy()
    return { key: wanted.key, outcome: 'changed' }
  }
  return res
}

const copied = (
  source: { key: string; size: number; etag: string },
  headers: Dispatcher.ResponseData['headers'],
  replicaEtag: string | null,
): ReportedObject => ({
  key: source.key,
  outcome: 'copied',
  size: source.size,
  etag: source.etag,
  last_modified: new Date(String(headers['last-modified'] ?? Date.now())).toISOString(),
  replica_etag: replicaEtag,
})

async function carrySingle(order: WorkOrder, o: CarryOptions): Promise<Carried> {
  const { value } = await withFreshUrls(order, o, async (current) => {
    const object = current.objects[0]
    const put = current.put
    if (!object || !put) throw new StorageRefused('the work names no object to copy')
    const got = await readMaster(o, object.get_url, object)
    if (!('statusCode' in got)) return { objects: [got], bytes: 0 }
    const size = Number(got.headers['content-length'])
    const what = `write ${object.key} to the replica`
    let res: Dispatcher.ResponseData
    try {
      res = await send(
        o,
        put.url,
        {
          method: 'PUT',
          headers: {
            ...put.headers,
            'content-type': String(got.headers['content-type'] ?? 'application/octet-stream'),
            'content-length': String(size),
          },
          body: got.body,
        },
        what,
      )
    } finally {
      got.body.destroy()
    }
    if (res.statusCode !== 200) throw await refusal(res, what)
    await res.body.dump()
    return {
      objects: [copied({ ...object, size }, got.headers, strip(res.headers.etag) || null)],
      bytes: size,
    }
  })
  return value
}

async function carryMultipart(order: WorkOrder, o: CarryOptions): Promise<Carried> {
  const object = order.objects[0]
  if (!object || !order.multipart) throw new StorageRefused('the work names no object to copy')
  const partBytes = order.multipart.part_bytes
  const etags: string[] = []
  let masterHeaders: Dispatcher.ResponseData['headers'] = {}
  let current = order
  const abort = async () => {
    const url = current.multipart?.abort_url
    if (url)
      await send(o, url, { method: 'DELETE' }, 'abort')
        .then((r) => r.body.dump())
        .catch(() => {})
  }
  try {
    // Parts one after another, each a ranged read of the master: nothing held but the part in
    // flight, and a part whose URL expired is sent again with a fresh one.
    for (let n = 1; n <= Math.ceil(object.size / partBytes); n++) {
      const from = (n - 1) * partBytes
      const to = Math.min(object.size, n * partBytes) - 1
      const step = await withFreshUrls(current, o, async (c) => {
        const got = await readMaster(o, c.objects[0]?.get_url ?? '', object, `bytes=${from}-${to}`)
        if (!('statusCode' in got)) return got
        masterHeaders = got.headers
        const part = c.multipart?.parts[n - 1]
        if (!part) throw new StorageRefused(`the work has no URL for part ${n}`)
        const what = `write part ${n} of ${object.key} to the replica`
        let res: Dispatcher.ResponseData
        try {
          res = await send(
            o,
            part.url,
            { method: 'PUT', headers: { 'content-length': String(to - from + 1) }, body: got.body },
            what,
          )
        } finally {
          got.body.destroy()
        }
        if (res.statusCode !== 200) throw await refusal(res, what)
        await res.body.dump()
        return String(res.headers.etag ?? '')
      })
      current = step.order
      if (typeof step.value !== 'string') {
        await abort()
        return { objects: [step.value], bytes: 0 }
      }
      etags.push(step.value)
    }
    const xml = completeMultipartXml(etags)
    const done = await withFreshUrls(current, o, async (c) => {
      const what = `complete the upload of ${object.key}`
      const res = await send(
        o,
        c.multipart?.complete_url ?? '',
        { method: 'POST', headers: { 'content-type': 'application/xml' }, body: xml },
        what,
      )
      if (res.statusCode !== 200) throw await refusal(res, what)
      // A completion can fail after a 200: the error is then in the body.
      const text = await res.body.text()
      const etag = /<ETag>([^<]+)<\/ETag>/.exec(text)?.[1]
      if (!etag)
        throw new StorageRefused(`${what}: ${/<Code>([^<]+)/.exec(text)?.[1] ?? 'no ETag'}`)
      return strip(xmlUnescape(etag))
    })
    return { objects: [copied(object, masterHeaders, done.value)], bytes: object.size }
  } catch (err) {
    await abort()
    throw err
  }
}

async function carryBatch(order: WorkOrder, o: CarryOptions): Promise<Carried> {
  const outcomes = new Map<string, ReportedObject>()
  const files: TarFile[] = []
  const mtime = new Date()
  let next = 0
  const reader = async () => {
    for (;;) {
      const object = order.objects[next++]
      if (!object) return
      const got = await readMaster(o, object.get_url, object)
      if (!('statusCode' in got)) {
        outcomes.set(object.key, got)
        continue
      }
      const data = Buffer.from(await got.body.arrayBuffer())
      files.push({
        name: object.key,
        data,
        mtime,
        pax: {
          'minio.metadata.Content-Type': String(
            got.headers['content-type'] ?? 'application/octet-stream',
          ),
          [`minio.metadata.X-Amz-Meta-${SOURCE_ETAG_META}`]: object.etag,
        },
      })
      // The batch answer carries no per-object ETag: recorded when the replica is next listed.
      outcomes.set(object.key, copied({ ...object, size: data.length }, got.headers, null))
    }
  }
  await Promise.all(Array.from({ length: BATCH_READS }, reader))
  if (files.length > 0) {
    const archive = tarArchive(files)
    await withFreshUrls(order, o, async (c) => {
      const put = c.batch_put
      if (!put) throw new StorageRefused('the work has no batch URL')
      const what = `write a batch of ${files.length} objects to the replica`
      const res = await send(
        o,
        put.url,
        {
          method: 'PUT',
          headers: { ...put.headers, 'content-length': String(archive.length) },
          body: archive,
        },
        what,
      )
      if (res.statusCode !== 200) throw await refusal(res, what)
      await res.body.dump()
    })
  }
  return {
    objects: order.objects.map((x) => outcomes.get(x.key) ?? { key: x.key, outcome: 'gone' }),
    bytes: files.reduce((n, f) => n + f.data.length, 0),
  }
}
