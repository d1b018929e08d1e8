/**
 * Runs an async job one at a time: requests while it runs make exactly one more run after it
 * (however many came), so callers may ask after every change and the job still sees the latest.
 */
export class CoalescedRunner {
  #running: Promise<void> | undefined
  #again = false

  constructor(
    private readonly job: () => Promise<void>,
    /** Requests are ignored while this says no (closed, stopped). */
    private readonly enabled: () => boolean = () => true,
  ) {}

  request(): void {
    if (!this.enabled()) return
    if (this.#running) {
      this.#again = true
      return
    }
    this.#running = this.job().finally(() => {
      this.#running = undefined
      if (this.#again) {
        this.#again = false
        this.request()
      }
    })
  }

  /** Resolves once no run is going and none is due. */
  async idle(): Promise<void> {
    while (this.#running) await this.#running
  }
}
