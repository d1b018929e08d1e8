/** Removing bucket copies FaDO made, best effort: a copy that cannot be removed is logged. */
import type { ServiceDeps } from './deps.js'

export async function removeCopies(
  deps: ServiceDeps,
  copies: readonly { storage_id: number; bucket: string }[],
  context: Record<string, unknown>,
): Promise<void> {
  const results = await Promise.allSettled(
    copies.map(async (c) => (await deps.storages.get(c.storage_id)).removeBucket(c.bucket)),
  )
  results.forEach((r, i) => {
    if (r.status === 'rejected')
      deps.log.warn('a bucket copy could not be removed; its data stays', {
        ...context,
        bucket: copies[i]?.bucket,
        storage_id: copies[i]?.storage_id,
        error: r.reason,
      })
  })
}
