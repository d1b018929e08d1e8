/** What the services (the API's domain operations) work with. */
import type { ChangeHub } from '../changes/hub.js'
import type { Db } from '../db/client.js'
import type { Logger } from '../../edge/log.js'
import type { StorageRegistry } from '../storage/registry.js'

export interface ServiceDeps {
  db: Db
  storages: StorageRegistry
  changes: ChangeHub
  log: Logger
  /**
   * Where MinIO deployments deliver bucket events to FaDO (/api/notify), as they reach it; FaDO
   * configures it on MinIO deployments it tracks. Undefined: not known, nothing is configured.
   */
  notifyUrl?: (() => string | undefined) | undefined
}
