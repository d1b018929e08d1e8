/** What the services (the API's domain operations) work with. */
import type { Changes } from '../changes.js'
import type { Db } from '../db/client.js'
import type { Logger } from '../../edge/log.js'
import type { StorageRegistry } from '../storage/registry.js'

export interface ServiceDeps {
  db: Db
  storages: StorageRegistry
  changes: Changes
  log: Logger
}
