/**
 * Knows whether code runs inside a database transaction, so that external calls (storage,
 * webhooks) can refuse to run there: a transaction held open over a network call blocks the
 * embedded database entirely and holds locks on a PostgreSQL server for as long as the remote
 * side takes. The database layer marks its transactions; adaptors call assertNoTransaction().
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import { FadoError } from './errors.js'

const scope = new AsyncLocalStorage<true>()

export const runInTransaction = <T>(fn: () => Promise<T>): Promise<T> => scope.run(true, fn)

export const inTransaction = (): boolean => scope.getStore() === true

export class ExternalCallInTransactionError extends FadoError {
  constructor(what: string) {
    super(
      500,
      'external_call_in_transaction',
      `${what} was called inside a database transaction; external calls belong outside`,
    )
    this.name = 'ExternalCallInTransactionError'
  }
}

export function assertNoTransaction(what: string): void {
  if (inTransaction()) throw new ExternalCallInTransactionError(what)
}
