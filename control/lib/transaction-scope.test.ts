import { describe, expect, it } from 'vitest'
import { S3Storage } from '../storage/s3.js'
import {
  ExternalCallInTransactionError,
  inTransaction,
  runInTransaction,
} from './transaction-scope.js'
import { serverInfo } from '../storage/admin-api.js'

// A storage client pointed at a port nobody listens on: the guard must refuse before any I/O.
const storage = new S3Storage({
  endpoint: '127.0.0.1:1',
  use_ssl: false,
  access_key: 'k',
  secret_key: 's',
})

describe('no external call inside a database transaction', () => {
  it('marks code running in a transaction, also across awaits', async () => {
    expect(inTransaction()).toBe(false)
    await runInTransaction(async () => {
      await Promise.resolve()
      expect(inTransaction()).toBe(true)
    })
    expect(inTransaction()).toBe(false)
  })

  it('storage calls refuse to run in one, through our signed requests and through minio-js', async () => {
    await expect(runInTransaction(() => serverInfo(storage))).rejects.toThrow(
      ExternalCallInTransactionError,
    )
    await expect(runInTransaction(() => storage.bucketExists('some-bucket'))).rejects.toThrow(
      /inside a database transaction/,
    )
    // Outside one the same call goes out (and fails on the closed port, as it should).
    await expect(storage.bucketExists('some-bucket')).rejects.toMatchObject({ kind: 'unreachable' })
  })
})
