/** What a reconcile pass over one bucket works with. */
import type { Db } from '../db/client.js'
import type { Logger } from '../../edge/log.js'
import type { StorageRegistry } from '../storage/registry.js'
import type { MasterNotifications } from './notifications.js'
import type { ReplicationObserver } from './observer.js'
import type { SyncStats } from './sync-replica.js'

export interface PassContext {
  db: Db
  storages: StorageRegistry
  log: Logger
  notifications: MasterNotifications
  /** Object copies at once within one bucket. */
  copyConcurrency: number
  stats: SyncStats
  observer: ReplicationObserver
  /** A replica's status changed (or it was removed): routes must be published again. */
  routesChanged(): void
}
