/**
 * Work done in rounds every `ms`, never two at once (a round still running when the next is due
 * makes that one skip), a round's failure handed to `failed`; stop() waits for a round under way.
 */
export abstract class Periodic {
  #timer: NodeJS.Timeout | undefined
  #running: Promise<void> | undefined

  constructor(
    private readonly ms: number,
    private readonly failed: (err: unknown) => void,
  ) {}

  /** One round of the work. */
  abstract round(): Promise<unknown>

  start(): void {
    this.#timer = setInterval(() => {
      this.#running ??= this.round()
        .then(() => undefined, this.failed)
        .finally(() => (this.#running = undefined))
    }, this.ms)
    this.#timer.unref()
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer)
    await this.#running
  }
}
