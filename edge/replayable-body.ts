/**
 * A request body the Node edge can send again (Node transport only; Workers' fetch() cannot tell
 * whether a failed request was sent, so there a body-carrying request is never retried).
 *
 * Each attempt gets a stream of its own; the client's body is read into it as the upstream asks
 * for it, and every chunk read is also kept, up to a bound (RETRY_BODY_LIMIT). A stream an
 * attempt leaves behind — undici destroys it when the connection fails — is detached from the
 * client's body, which stays readable. The body is intact for another attempt while nothing has
 * been read of it, or all that was read is kept: the next attempt replays what is kept, then reads
 * on. Past the bound nothing is kept and the body can no longer be sent again.
 */
import { Readable } from 'node:stream'

/** Bytes of a body kept for a retry: a body read further than this is never sent again. */
export const RETRY_BODY_LIMIT = 64 * 1024

export class ReplayableBody {
  readonly #source: Readable
  readonly #limit: number
  #kept: Buffer[] = []
  #keptBytes = 0
  /** More was read than could be kept. */
  #overflowed = false
  #ended = false
  #failed: Error | undefined
  #current: Readable | undefined
  #released = false

  constructor(source: Readable, limit = RETRY_BODY_LIMIT) {
    this.#source = source
    this.#limit = limit
    // Paused first, so that listening for data does not start the flow.
    source.pause()
    source.on('data', this.#onData)
    source.once('end', this.#onEnd)
    source.once('error', this.#onError)
    source.once('close', this.#onClose)
  }

  /** Can another attempt still be given the whole body? */
  get intact(): boolean {
    return !this.#overflowed && !this.#failed && !this.#released
  }

  /** The client's body failed (it hung up mid-body): no verdict on the upstream. */
  get clientFailed(): boolean {
    return this.#failed !== undefined
  }

  /** Bytes kept for a replay (for tests). */
  get keptBytes(): number {
    return this.#keptBytes
  }

  /** The whole body, for one attempt; the previous attempt's stream is detached. */
  open(): Readable {
    if (!this.intact) throw new Error('the request body can no longer be sent again')
    this.#detach()
    const replay = this.#kept.slice()
    let next = 0
    const out: Readable = new Readable({
      read: () => {
        while (next < replay.length) if (!out.push(replay[next++])) return
        if (this.#current !== out) return
        if (this.#ended) out.push(null)
        else this.#source.resume()
      },
      destroy: (err, callback) => {
        if (this.#current === out) this.#detach()
        callback(err)
      },
    })
    this.#current = out
    return out
  }

  /** No more attempts: what is left of the body is read and thrown away (keep-alive needs it). */
  release(): void {
    this.#released = true
    this.#detach()
    this.#kept = []
    this.#keptBytes = 0
    this.#source.off('data', this.#onData)
    this.#source.resume()
  }

  #detach(): void {
    this.#current = undefined
    this.#source.pause()
  }

  #onData = (chunk: Buffer): void => {
    if (!this.#overflowed && !this.#released) {
      if (this.#keptBytes + chunk.length > this.#limit) {
        this.#overflowed = true
        this.#kept = []
        this.#keptBytes = 0
      } else {
        this.#kept.push(chunk)
        this.#keptBytes += chunk.length
      }
    }
    const out = this.#current
    if (!out) this.#source.pause()
    else if (!out.push(chunk)) this.#source.pause()
  }

  #onEnd = (): void => {
    this.#ended = true
    this.#current?.push(null)
  }

  #onError = (err: Error): void => {
    this.#failed = err
    this.#current?.destroy(err)
  }

  /** The client went away before its body ended. */
  #onClose = (): void => {
    if (this.#ended) return
    this.#onError(new Error('the client closed the connection before its request body ended'))
  }
}
