/**
 * One S3Storage per tracked deployment, loaded from the database on first use and cached, all
 * with the configured per-call timeout and multipart threshold.
 */
import type { Queryable } from '../db/client.js'
import { getStorageConnection } from '../db/storage-deployments.js'
import type { SecretBox } from '../auth/secrets.js'
import { StorageError } from './errors.js'
import { S3Storage } from './s3.js'
import { type StorageConnection, type StorageOptions } from './types.js'

export class StorageRegistry {
  readonly #cache = new Map<number, S3Storage>()

  constructor(
    private readonly db: Queryable,
    private readonly box: SecretBox,
    private readonly options: StorageOptions = {},
  ) {}

  /** A secret key as it is stored: sealed with the secrets key. */
  seal(secret: string): string {
    return this.box.seal(secret)
  }

  /** A client for a deployment that is not tracked (yet): tracking verifies through it. */
  connect(conn: StorageConnection): S3Storage {
    return new S3Storage(conn, this.options)
  }

  async get(storageId: number): Promise<S3Storage> {
    const cached = this.#cache.get(storageId)
    if (cached) return cached
    const conn = await getStorageConnection(this.db, storageId)
    if (!conn) throw new StorageError(`storage deployment ${storageId} is not tracked`, 'not_found')
    const storage = this.connect({ ...conn, secret_key: this.box.open(conn.secret_key) })
    this.#cache.set(storageId, storage)
    return storage
  }

  forget(storageId: number): void {
    this.#cache.delete(storageId)
  }
}
