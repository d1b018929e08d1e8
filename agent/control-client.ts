/**
 * How an agent talks to control: JSON POSTs with its agent token, each bounded in time, answers
 * read with the contract's schemas. A refusal is a ControlRefused (status, code, message); a
 * control that cannot be reached or answers 5xx is a ControlUnreachable, which callers retry
 * with back-off.
 */
import { request, type Dispatcher } from 'undici'
import type { z } from 'zod'

export class ControlRefused extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

export class ControlUnreachable extends Error {}

export class ControlClient {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
    private readonly dispatcher?: Dispatcher,
  ) {}

  async post<S extends z.ZodType>(
    path: string,
    body: unknown,
    schema: S,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<z.output<S>> {
    let res: Dispatcher.ResponseData
    try {
      res = await request(`${this.baseUrl}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        ...(this.dispatcher ? { dispatcher: this.dispatcher } : {}),
        ...(signal ? { signal } : {}),
      })
    } catch (err) {
      throw new ControlUnreachable(`cannot reach control at ${this.baseUrl}: ${describe(err)}`, {
        cause: err,
      })
    }
    let text: string
    try {
      text = await res.body.text()
    } catch (err) {
      throw new ControlUnreachable(`control's answer broke off: ${describe(err)}`, { cause: err })
    }
    if (res.statusCode >= 500)
      throw new ControlUnreachable(`control answered ${res.statusCode}: ${errorOf(text).message}`)
    if (res.statusCode >= 300) {
      const e = errorOf(text)
      throw new ControlRefused(res.statusCode, e.code, e.message)
    }
    const parsed = schema.safeParse(JSON.parse(text))
    if (!parsed.success) throw new ControlUnreachable(`control's answer is not what an agent reads`)
    return parsed.data
  }
}

const describe = (err: unknown): string =>
  err instanceof Error
    ? (((err as { code?: string }).code ?? '') + ' ' + err.message).trim()
    : String(err)

function errorOf(text: string): { code: string; message: string } {
  try {
    const e = (JSON.parse(text) as { error?: { code?: string; message?: string } }).error
    return { code: e?.code ?? 'unknown', message: e?.message ?? text.slice(0, 200) }
  } catch {
    return { code: 'unknown', message: text.slice(0, 200) }
  }
}
