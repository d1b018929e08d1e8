import { describe, expect, it } from 'vitest'
import { RetryBudget } from './retry-budget.js'

describe('RetryBudget', () => {
  it('allows retries up to its share of requests, plus what it saved up, exactly', () => {
    const budget = new RetryBudget({ ratio: 0.2, burst: 2 })
    const allowed: boolean[] = []
    // 20 requests each wanting a retry: the 2 saved up, then one per 5 requests.
    for (let i = 0; i < 20; i++) {
      budget.deposit()
      allowed.push(budget.withdraw())
    }
    expect(allowed.filter(Boolean).length).toBe(2 + 3)
    expect(allowed.slice(0, 2)).toEqual([true, true])
  })

  it('saves up no more than its burst, and a new setting keeps what was saved within it', () => {
    const budget = new RetryBudget({ ratio: 0.5, burst: 3 })
    for (let i = 0; i < 100; i++) budget.deposit()
    expect(budget.tokens).toBe(3)
    budget.configure({ ratio: 0.1, burst: 1 })
    expect(budget.tokens).toBe(1)
  })
})
