/** What every API route module is handed. */
import type { Db } from '../db/client.js'
import type { Logger } from '../log.js'
import type { SnapshotPublisher } from '../snapshot/publish.js'

export interface ApiDeps {
  db: Db
  publisher: SnapshotPublisher
  log: Logger
  adminToken: string
}
