/**
 * Pure: what untracking a storage deployment removes. FaDO's own copies go — the replicas it made
 * on that deployment, and the replicas elsewhere of buckets mastered there (no longer tracked,
 * so no longer kept in sync). Master data stays unless the user asks for it to be deleted too.
 */
export interface UntrackBucket {
  bucket_id: number
  name: string
  storage_id: number
  replicas: readonly { storage_id: number }[]
}

export interface UntrackPlan {
  /** Bucket copies to remove: (storage deployment, bucket name). */
  removals: { storage_id: number; bucket: string }[]
  /** Buckets that keep existing but lose a replica: reconcile them afterwards. */
  affected: number[]
}

export function planUntrack(
  buckets: readonly UntrackBucket[],
  storageId: number,
  deleteMasterData: boolean,
): UntrackPlan {
  const removals: UntrackPlan['removals'] = []
  const affected: number[] = []
  for (const bucket of buckets) {
    if (bucket.replicas.some((r) => r.storage_id === storageId)) {
      removals.push({ storage_id: storageId, bucket: bucket.name })
      affected.push(bucket.bucket_id)
    }
    if (bucket.storage_id === storageId) {
      for (const r of bucket.replicas)
        removals.push({ storage_id: r.storage_id, bucket: bucket.name })
      if (deleteMasterData) removals.push({ storage_id: storageId, bucket: bucket.name })
    }
  }
  return { removals, affected }
}
