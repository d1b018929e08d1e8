/** What every API route module is handed. */
import type { ControlMetrics } from '../observe/metrics.js'
import type { SecretBox } from '../auth/secrets.js'
import type { HookDeliverer } from '../snapshot/hooks.js'
import type { TrafficSeries } from '../observe/traffic.js'
import type { ChangeFeed } from '../changes/change-feed.js'
import type { ServiceDeps } from '../services/deps.js'
import type { SnapshotPublisher } from '../snapshot/publish.js'
import type { TokenVerifier } from '../auth/tokens.js'
import type { EdgeStatus } from '../../edge/app.js'
import type { UiAssets } from './ui.js'
import type { UploadLimits } from './uploads.js'
import type { AgentWork } from '../agents/work.js'
import type { Queryable } from '../db/client.js'

export interface ApiDeps extends ServiceDeps {
  /**
   * Where the reads the admin page polls go (/api/resources, /api/buckets): answered from memory
   * while nothing was written since (db/read-cache.ts). Absent: `db`.
   */
  reads?: Queryable | undefined
  publisher: SnapshotPublisher
  /** Storage change events arriving by webhook (/api/notify) go here. */
  changeFeed: ChangeFeed
  tokens: TokenVerifier
  limits: UploadLimits
  /** The built admin page; undefined when it was not built. */
  ui?: UiAssets | undefined
  /** What the in-process edge serves (standalone only); separate edges report on their own. */
  edgeStatus?: (() => EdgeStatus) | undefined
  /** Served at GET /metrics; absent: no /metrics. */
  metrics?: ControlMetrics | undefined
  /** Seals secrets the API is given (hook secrets). */
  secrets: SecretBox
  /** Pushes snapshots to publish hooks; told when hooks are added. */
  hooks?: HookDeliverer | undefined
  /** The last 15 minutes of traffic and replication, for the admin page's charts. */
  traffic?: TrafficSeries | undefined
  /** Work handed to agents (issue 22); absent: /api/agent answers 503. */
  agents?: AgentWork | undefined
  /** Zones over a bucket's demand threshold that got no replica, and why (demand-loop.ts). */
  demandHeld?: ((bucketId: number) => { zone: string; reason: string }[]) | undefined
}
