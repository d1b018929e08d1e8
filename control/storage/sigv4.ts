/**
 * AWS Signature Version 4 for the requests FaDO signs itself (s3.ts `signed`). The same canonical
 * form as minio-js's signer (its tests check it against MinIO), but the signing key — four HMACs
 * over the secret, the day, the region and the service — is derived once per day and reused: for
 * a copy of many small objects it was a fifth of the signing cost. Pure: no I/O.
 */
import { createHash, createHmac } from 'node:crypto'

const ALGORITHM = 'AWS4-HMAC-SHA256'
/** Sent but not signed (as minio-js: proxies may rewrite them). */
const UNSIGNED = new Set(['authorization', 'content-length', 'content-type', 'user-agent'])

export interface SigningRequest {
  method: string
  /** Encoded path, optionally with a query. */
  path: string
  /** Lower-case header names. */
  headers: Record<string, string>
}

/** A query value as SigV4 encodes it (RFC 3986: also !'()*). */
const rfc3986 = (value: string): string =>
  encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  )

/** `20261201T235959Z` */
export const amzDate = (date: Date): string => date.toISOString().replace(/[:-]|\.\d{3}/g, '')

export class SigV4Signer {
  #day = ''
  #key: Buffer | undefined

  constructor(
    private readonly accessKey: string,
    private readonly secretKey: string,
    private readonly region: string,
    private readonly service = 's3',
  ) {}

  /** The Authorization header for `req`, whose x-amz-date header is `date`. */
  authorization(req: SigningRequest, date: Date, payloadHash: string): string {
    const signed = Object.keys(req.headers)
      .filter((h) => !UNSIGNED.has(h))
      .sort()
    const { scope, signature } = this.#sign(req, signed, date, payloadHash)
    return `${ALGORITHM} Credential=${this.accessKey}/${scope}, SignedHeaders=${signed.join(';')}, Signature=${signature}`
  }

  /**
   * A pre-signed request: `req.path` with the query that authorises it, valid for
   * `expiresSeconds` from `date`, for any body (UNSIGNED-PAYLOAD). The host is signed, and any
   * `headers` given (lower-case names): whoever holds it must send those exactly, and may send it
   * from anywhere, with any other headers.
   */
  presign(
    req: { method: string; path: string; host: string; headers?: Record<string, string> },
    date: Date,
    expiresSeconds: number,
  ): string {
    const day = amzDate(date).slice(0, 8)
    const headers: Record<string, string> = { ...req.headers, host: req.host }
    const signed = Object.keys(headers).sort()
    const auth = [
      `X-Amz-Algorithm=${ALGORITHM}`,
      `X-Amz-Credential=${rfc3986(`${this.accessKey}/${day}/${this.region}/${this.service}/aws4_request`)}`,
      `X-Amz-Date=${amzDate(date)}`,
      `X-Amz-Expires=${expiresSeconds}`,
      `X-Amz-SignedHeaders=${rfc3986(signed.join(';'))}`,
    ].join('&')
    const path = req.path.includes('?') ? `${req.path}&${auth}` : `${req.path}?${auth}`
    const { signature } = this.#sign(
      { method: req.method, path, headers },
      signed,
      date,
      'UNSIGNED-PAYLOAD',
    )
    return `${path}&X-Amz-Signature=${signature}`
  }

  #sign(
    req: SigningRequest,
    signed: string[],
    date: Date,
    payloadHash: string,
  ): { scope: string; signature: string } {
    const long = amzDate(date)
    const day = long.slice(0, 8)
    const scope = `${day}/${this.region}/${this.service}/aws4_request`
    const [resource, rawQuery] = req.path.split('?') as [string, string | undefined]
    const query = rawQuery
      ? rawQuery
          .split('&')
          .sort()
          .map((p) => (p.includes('=') ? p : `${p}=`))
          .join('&')
      : ''
    const canonical = [
      req.method.toUpperCase(),
      resource,
      query,
      signed.map((h) => `${h}:${`${req.headers[h]}`.replace(/ +/g, ' ')}`).join('\n') + '\n',
      signed.join(';'),
      payloadHash,
    ].join('\n')
    const toSign = [
      ALGORITHM,
      long,
      scope,
      createHash('sha256').update(canonical).digest('hex'),
    ].join('\n')
    const signature = createHmac('sha256', this.#signingKey(day)).update(toSign).digest('hex')
    return { scope, signature }
  }

  #signingKey(day: string): Buffer {
    if (day !== this.#day || !this.#key) {
      const hmac = (key: string | Buffer, data: string) =>
        createHmac('sha256', key).update(data).digest()
      this.#key = hmac(
        hmac(hmac(hmac(`AWS4${this.secretKey}`, day), this.region), this.service),
        'aws4_request',
      )
      this.#day = day
    }
    return this.#key
  }
}
