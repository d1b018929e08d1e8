/**
 * Pure: a retry budget (as Envoy's and Finagle's). Retries may add at most `ratio` of the
 * requests' own load: every request deposits `ratio` of a token, a retry spends a whole one, and
 * at most `burst` tokens are saved up (so a quiet edge can still retry a few at once). When a
 * cluster fails hard, retries stop multiplying the load on what is left.
 */
export interface RetryBudgetOptions {
  /** Share of requests that may be retried, 0..1 (0 = never retry after a sent request). */
  ratio: number
  /** Tokens saved up at most (and at start). */
  burst: number
}

/** A budget of `ratio` as the edges run it: 10 tokens saved up, none when retries are off. */
export const budgetFor = (ratio: number): RetryBudgetOptions => ({
  ratio,
  burst: ratio === 0 ? 0 : 10,
})

/** Tokens are counted in thousandths, so 0.2 + 0.2 + … adds up exactly. */
const UNIT = 1000

export class RetryBudget {
  #milli: number
  #ratio: number
  #burst: number

  constructor(options: RetryBudgetOptions = { ratio: 0.2, burst: 10 }) {
    this.#ratio = Math.round(options.ratio * UNIT)
    this.#burst = Math.round(options.burst * UNIT)
    this.#milli = this.#burst
  }

  /** Follows settings from a new snapshot without forgetting what was saved. */
  configure(options: RetryBudgetOptions): void {
    this.#ratio = Math.round(options.ratio * UNIT)
    this.#burst = Math.round(options.burst * UNIT)
    this.#milli = Math.min(this.#milli, this.#burst)
  }

  /** A request came in. */
  deposit(): void {
    this.#milli = Math.min(this.#burst, this.#milli + this.#ratio)
  }

  /** May this request be tried once more? Spends a token when yes. */
  withdraw(): boolean {
    if (this.#milli < UNIT) return false
    this.#milli -= UNIT
    return true
  }

  get tokens(): number {
    return this.#milli / UNIT
  }
}
