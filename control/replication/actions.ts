/**
 * What a sync does to a replica, key by key: the listings (master, replica, FaDO's records)
 * merge-joined and each key judged by replicaVerdict, as a stream of actions.
 */
import type { ObjectEntry } from '../storage/types.js'
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
  list(): AsyncIterable<KeyedRecord>
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
 * The actions that make a replica equal to the master: the master listing merge-joined with the
 * replica's listing and FaDO's records of it, each key judged by actionFor.
 */
export async function* replicaActions(
  master: AsyncIterable<ObjectEntry>,
  replica: AsyncIterable<ObjectEntry>,
  records: AsyncIterable<KeyedRecord> | Iterable<KeyedRecord>,
  /** Told of every key compared (master, replica or record). */
  compared: () => void = () => {},
): AsyncGenerator<SyncAction<ObjectEntry> | Adopt> {
  const replicaSide = joinListings(replica, records)
  for await (const { key, left: m, right: side } of joinListings(master, replicaSide)) {
    compared()
    const action = actionFor(key, m, side?.left, side?.right)
    if (action) yield action
  }
}
