/** One S3Storage per tracked deployment, loaded from the database on first use and cached. */
import type { Queryable } from '../db/client.js'
import { getStorageConnection } from '../db/storage-deployments.js'
import { S3Storage, StorageError } from './s3.js'

export class StorageRegistry {
  readonly #cache = new Map<number, S3Storage>()

  constructor(private readonly db: Queryable) {}

  async get(storageId: number): Promise<S3Storage> {
    const cached = this.#cache.get(storageId)
    if (cached) return cached
    const conn = await getStorageConnection(this.db, storageId)
    if (!conn) throw new StorageError(`storage deployment ${storageId} is not tracked`, 'not_found')
    const storage = new S3Storage(conn)
    this.#cache.set(storageId, storage)
    return storage
  }

  forget(storageId: number): void {
    this.#cache.delete(storageId)
  }
}
