/**
 * What a sync does to a replica, key by key: the listings of a key range (master, replica, FaDO's
 * records) merge-joined and each key judged by replicaVerdict.
 */
import type { ObjectEntry } from '../storage/types.js'
import type { KeyRange } from './digest.js'
import { joinListings, replicaVerdict, type CopyRecord, type SyncAction } from './diff.js'
import type { KeyedRecord } from './replica-records.js'

export type Copy = Extract<SyncAction<ObjectEntry>, { op: 'copy' }>
/** An object found equal to the master's without FaDO's record of it: recorded, not copied. */
export type Adopt = { op: 'adopt'; key: string; source: ObjectEntry; etag: string }
/** One action on a replica: copy, delete, adopt, or a batch of small copies (batch.ts). */
export type ReplicaAction =
  SyncAction<ObjectEntry> | Adopt | { op: 'batch'; copies: Copy[]; bytes: number }

/** What a sync records as it goes (replica-records.ts); without one nothing is recorded. */
export interface SyncRecords {
  /** How many records lie in a key range, and their digest (digest.ts). */
  digest(range: KeyRange): Promise<{ count: number; digest: string }>
  /** The records in a key range, in S3 key order. */
  inRange(range: KeyRange): Promise<KeyedRecord[]>
  copied(key: string, source: ObjectEntry, replicaEtag: string | null): Promise<void>
  removed(key: string): Promise<void>
  repaired(key: string): void
  flush(): Promise<void>
}

/**
 * What one key of a replica needs, given the master's object, the replica's and FaDO's record
 * of it; undefined when nothing.
 */
export function actionFor(
  key: string,
  master: ObjectEntry | undefined,
  replica: ObjectEntry | undefined,
  record: CopyRecord | undefined,
): SyncAction<ObjectEntry> | Adopt | undefined {
  const verdict = replicaVerdict(master, replica, record)
  if (verdict === 'same') return undefined
  if (verdict === 'adopt' && master && replica)
    return { op: 'adopt', key, source: master, etag: replica.etag }
  if (master && (verdict === 'copy' || verdict === 'repair'))
    return { op: 'copy', key, source: master, repair: verdict === 'repair' }
  return { op: 'delete', key, repair: verdict === 'repair' }
}

/**
 * The actions that make a key range of a replica equal to the master's: the master's entries
 * merge-joined with the replica's and FaDO's records of it, each key judged by actionFor.
 */
export function rangeActions(
  master: readonly ObjectEntry[],
  replica: readonly ObjectEntry[],
  records: readonly KeyedRecord[],
): { actions: (SyncAction<ObjectEntry> | Adopt)[]; compared: number } {
  const actions: (SyncAction<ObjectEntry> | Adopt)[] = []
  let compared = 0
  const replicaSide = [...joinListings(replica, records)]
  for (const { key, left: m, right: side } of joinListings(master, replicaSide)) {
    compared++
    const action = actionFor(key, m, side?.left, side?.right)
    if (action) actions.push(action)
  }
  return { actions, compared }
}
