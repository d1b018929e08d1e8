/** What every API route module is handed. */
import type { Db } from '../db/client.js'
import type { Logger } from '../log.js'
import type { ChangeFeed } from '../replication/change-feed.js'
import type { Reconciler } from '../replication/reconciler.js'
import type { SnapshotPublisher } from '../snapshot/publish.js'
import type { StorageRegistry } from '../storage/registry.js'

export interface ApiDeps {
  db: Db
  publisher: SnapshotPublisher
  log: Logger
  adminToken: string
  storages: StorageRegistry
  reconciler: Reconciler
  changeFeed: ChangeFeed
}
