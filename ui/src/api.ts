/**
 * Talks to the admin API with the tab's token. Every failure becomes an ApiError carrying the API's
 * {"error":{code,message,field}}; a 401 also signs the tab out (see auth.ts).
 */
import { signOut, token } from './auth.js'

export class ApiError extends Error {
  readonly status: number
  readonly code: string
  readonly field: string | undefined

  constructor(status: number, code: string, message: string, field?: string) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.field = field
  }
}

interface ErrorBody {
  error?: { code?: string; message?: string; field?: string }
}

export async function toApiError(response: Response): Promise<ApiError> {
  const body = (await response.json().catch(() => ({}))) as ErrorBody
  if (response.status === 401) signOut('The admin token was not accepted. Sign in again.')
  return new ApiError(
    response.status,
    body.error?.code ?? 'http_error',
    body.error?.message ?? `${response.status} ${response.statusText}`,
    body.error?.field,
  )
}

export function authHeaders(extra: Record<string, string> = {}): Record<string, string> {
  return { authorization: `Bearer ${token.value ?? ''}`, ...extra }
}

/** A request whose answer is JSON (or 204/304, which give undefined). */
export async function api<T>(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ data: T | undefined; response: Response }> {
  let response: Response
  try {
    response = await fetch(path, {
      method,
      headers: authHeaders(
        body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
      ),
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
  } catch {
    throw new ApiError(0, 'unreachable', 'FaDO control is not answering.')
  }
  if (!response.ok && response.status !== 304) throw await toApiError(response)
  const data =
    response.status === 204 || response.status === 304 ? undefined : ((await response.json()) as T)
  return { data, response }
}

export const send = async <T>(method: string, path: string, body?: unknown): Promise<T> =>
  (await api<T>(method, path, body)).data as T

/** Downloads with the token (a plain link cannot carry it) and hands the file to the browser. */
export async function download(path: string, filename: string): Promise<void> {
  const response = await fetch(path, { headers: authHeaders() })
  if (!response.ok) throw await toApiError(response)
  const url = URL.createObjectURL(await response.blob())
  const link = document.createElement('a')
  link.href = url
  link.download = filename
  document.body.append(link)
  link.click()
  link.remove()
  setTimeout(() => URL.revokeObjectURL(url), 60_000)
}

/** Multipart upload with progress (fetch cannot report upload progress; XHR can). */
export function upload(
  bucket: string,
  file: File,
  onProgress: (fraction: number) => void,
): { done: Promise<void>; abort(): void } {
  const xhr = new XMLHttpRequest()
  const done = new Promise<void>((resolve, reject) => {
    xhr.open('POST', '/api/objects')
    for (const [k, v] of Object.entries(authHeaders())) xhr.setRequestHeader(k, v)
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total)
    }
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(1)
        resolve()
        return
      }
      const response = new Response(xhr.responseText, { status: xhr.status })
      void toApiError(response).then(reject)
    }
    xhr.onerror = () => reject(new ApiError(0, 'unreachable', 'The upload was interrupted.'))
    xhr.onabort = () => reject(new ApiError(0, 'aborted', 'Upload cancelled.'))
    const form = new FormData()
    form.append('bucket', bucket)
    form.append('file', file, file.name)
    xhr.send(form)
  })
  return { done, abort: () => xhr.abort() }
}
