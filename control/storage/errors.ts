/** Storage failures by kind (StorageError), classified from whatever a call threw or answered. */
import type { Dispatcher } from 'undici'
import { FadoError } from '../lib/errors.js'
import { errors as undiciErrors } from 'undici'

export type StorageErrorKind =
  'unreachable' | 'timeout' | 'credentials' | 'permission' | 'not_found' | 'invalid_key' | 'failed'

/**
 * A storage deployment failed; `kind` says why. Its code is `storage_<kind>`, its status 504 when
 * the deployment did not answer in time and 502 otherwise.
 */
export class StorageError extends FadoError {
  constructor(
    message: string,
    readonly kind: StorageErrorKind,
    options?: { cause?: unknown },
  ) {
    super(kind === 'timeout' ? 504 : 502, `storage_${kind}`, message, options)
    this.name = 'StorageError'
  }
}

const CONNECT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'EPIPE',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
])

const TIMEOUT_CODES = new Set([
  'ETIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'FADO_STORAGE_TIMEOUT',
])

/** Node's codes for a TLS certificate it does not accept. */
const CERTIFICATE_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
])

/** Maps SDK / network errors to a StorageError with a reason a user can act on. */
export function classify(err: unknown, what: string): StorageError {
  if (err instanceof StorageError) {
    return err.message.startsWith(what)
      ? err
      : new StorageError(`${what}: ${err.message}`, err.kind, { cause: err })
  }
  const e = err as {
    code?: string
    name?: string
    cause?: { code?: string; name?: string }
    message?: string
  }
  const code = e.code ?? e.cause?.code ?? ''
  if (
    TIMEOUT_CODES.has(code) ||
    e.name === 'TimeoutError' ||
    e.cause?.name === 'TimeoutError' ||
    err instanceof undiciErrors.HeadersTimeoutError ||
    err instanceof undiciErrors.BodyTimeoutError ||
    err instanceof undiciErrors.ConnectTimeoutError
  ) {
    return new StorageError(
      `${what}: storage did not answer in time (${code || e.message || 'timeout'})`,
      'timeout',
      { cause: err },
    )
  }
  if (CERTIFICATE_CODES.has(code)) {
    return new StorageError(
      `${what}: the storage's TLS certificate is not trusted (${code}); give FaDO its CA with NODE_EXTRA_CA_CERTS`,
      'unreachable',
      { cause: err },
    )
  }
  if (CONNECT_CODES.has(code) || /connect|socket hang up|fetch failed/i.test(e.message ?? '')) {
    return new StorageError(`${what}: storage unreachable (${code || e.message})`, 'unreachable', {
      cause: err,
    })
  }
  if (code === 'InvalidAccessKeyId' || code === 'SignatureDoesNotMatch') {
    return new StorageError(`${what}: storage rejected the credentials (${code})`, 'credentials', {
      cause: err,
    })
  }
  if (code === 'AccessDenied')
    return new StorageError(`${what}: access denied`, 'permission', { cause: err })
  if (code === 'NoSuchKey' || code === 'NoSuchBucket' || code === 'NotFound') {
    return new StorageError(`${what}: not found (${code})`, 'not_found', { cause: err })
  }
  return new StorageError(`${what}: ${e.message ?? String(err)}`, 'failed', { cause: err })
}

export { xmlUnescape } from '../../agent/s3-xml.js'

/** An S3 error answer as a StorageError (its <Code>, else the status). */
export function s3Failure(what: string, status: number, text: string): StorageError {
  const code = /<Code>(\w+)<\/Code>/.exec(text)?.[1] ?? `status ${status}`
  return classify(Object.assign(new Error(code), { code }), what)
}

/** A whole (small) answer body; a body that stalls past the timeout is a 'timeout'. */
export async function answerText(res: Dispatcher.ResponseData, what: string): Promise<string> {
  try {
    return await res.body.text()
  } catch (err) {
    throw classify(err, what)
  }
}
