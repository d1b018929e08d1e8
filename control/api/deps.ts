/** What every API route module is handed. */
import type { Db } from '../db/client.js'
import type { Logger } from '../log.js'
import type { ChangeFeed } from '../replication/change-feed.js'
import type { Reconciler } from '../replication/reconciler.js'
import type { SnapshotPublisher } from '../snapshot/publish.js'
import type { StorageRegistry } from '../storage/registry.js'
import type { EdgeStatus } from '../../edge/app.js'
import type { UiAssets } from './ui.js'

export interface ApiDeps {
  db: Db
  publisher: SnapshotPublisher
  log: Logger
  adminToken: string
  storages: StorageRegistry
  reconciler: Reconciler
  changeFeed: ChangeFeed
  /** The built admin page; undefined when it was not built. */
  ui?: UiAssets | undefined
  /** What the in-process edge serves (standalone only); separate edges report on their own. */
  edgeStatus?: (() => EdgeStatus) | undefined
}
