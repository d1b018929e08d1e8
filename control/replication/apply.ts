/**
 * The one per-key step both passes use — a full sync of a replica (sync-replica.ts) and the event
 * path (key-sync.ts): carry out an action on the replica, record it, count it.
 */
import type { S3Storage } from '../storage/s3.js'
import type { ReplicaAction, SyncRecords } from './actions.js'
import type { Copier, SyncStats } from './copy.js'
import type { Backlog } from './observer.js'

/** Where an action goes and what it reports to. */
export interface ReplicaTarget {
  bucket: string
  /** Where deletes go (they carry no bytes: control makes them). */
  replica: S3Storage
  /** Who moves the bytes of copies: control itself, or an agent (control/agents/). */
  copier: Copier
  stats: SyncStats
  /** FaDO's records of this replica: written as copies are made; without them nothing is. */
  records?: SyncRecords | undefined
  /** Told when each action is done (its `found` is the caller's: it knows when it saw it). */
  backlog?: Backlog | undefined
}

export async function applyAction(action: ReplicaAction, to: ReplicaTarget): Promise<void> {
  const { records, backlog } = to
  switch (action.op) {
    case 'adopt':
      await records?.copied(action.key, action.source, action.etag)
      return
    case 'batch': {
      const copied = await to.copier.batch(action.copies)
      for (const c of action.copies) {
        const source = copied.get(c.key)
        if (source) await records?.copied(c.key, source.entry, source.etag)
        if (c.repair && source) records?.repaired(c.key)
        backlog?.done(c.source.size, source !== undefined)
      }
      return
    }
    case 'delete':
      await to.replica.removeObject(to.bucket, action.key)
      await records?.removed(action.key)
      if (action.repair) records?.repaired(action.key)
      to.stats.objects_deleted++
      backlog?.done(0, true)
      return
    case 'copy': {
      const copied = await to.copier.copy(action.key, action.source)
      if (copied) {
        await records?.copied(action.key, copied.entry, copied.etag)
        if (action.repair) records?.repaired(action.key)
      }
      backlog?.done(action.source.size, copied !== undefined)
    }
  }
}

/** Bytes an action adds to the backlog when it is found. */
export const backlogBytes = (action: ReplicaAction): number =>
  action.op === 'copy' ? action.source.size : 0
