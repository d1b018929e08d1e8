/**
 * Small objects going to a MinIO replica travel in batches: MinIO's snowball upload takes one PUT
 * of a tar and extracts an object per entry (with its Content-Type and metadata, from the entry's
 * pax records) — what MinIO's own batch replication does. Per object, a PUT costs the replica
 * server most of the time a small copy takes; a batch of up to 1,000 costs it one.
 */
import type { ObjectEntry } from '../storage/types.js'
import type { Adopt, Copy, ReplicaAction } from './actions.js'
import type { SyncAction } from './diff.js'

/** Objects up to this size may travel in a batch; at most this many, and bytes, per batch. */
export const BATCH_LIMITS = { objectBytes: 1024 * 1024, objects: 1000, bytes: 8 * 1024 * 1024 }

/**
 * A key a tar entry reproduces exactly: MinIO cleans entry names (path.Clean), so a key with an
 * empty, '.' or '..' segment, or a leading or trailing '/', is copied on its own.
 */
export const batchableKey = (key: string): boolean =>
  !key.split('/').some((segment) => segment === '' || segment === '.' || segment === '..')

/** Groups the small copies of a stream of actions into batches; everything else passes through. */
export async function* batchSmallCopies(
  actions: AsyncIterable<SyncAction<ObjectEntry> | Adopt>,
  limits = BATCH_LIMITS,
): AsyncGenerator<ReplicaAction> {
  let copies: Copy[] = []
  let bytes = 0
  const flush = (): ReplicaAction => {
    const batch: ReplicaAction = { op: 'batch', copies, bytes }
    copies = []
    bytes = 0
    return batch
  }
  for await (const action of actions) {
    const small =
      action.op === 'copy' &&
      action.source.size <= limits.objectBytes &&
      !action.source.etag.includes('-') &&
      batchableKey(action.key)
    if (!small) {
      yield action
      continue
    }
    if (copies.length > 0 && bytes + action.source.size > limits.bytes) yield flush()
    copies.push(action)
    bytes += action.source.size
    if (copies.length >= limits.objects) yield flush()
  }
  if (copies.length > 0) yield flush()
}
