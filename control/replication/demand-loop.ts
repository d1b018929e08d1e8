/**
 * Replicas on demand, carried out: every few seconds, for each bucket that opted in, the demand
 * its edges reported (traffic.ts) and the bucket's state go through the pure planner
 * (demand-plan.ts); additions and removals are written with their reasons in one transaction and
 * the bucket is reconciled (its replica plan then holds them, bucket-pass.ts), logged and counted.
 * What a zone over the threshold did not get, and why, is kept for the API (`demand_held`).
 *
 * Demand is what this control process heard: edges report to the control they are pointed at.
 */
import type { Logger } from '../../edge/log.js'
import type { ChangeHub } from '../changes/hub.js'
import {
  anyBucketOnDemand,
  applyDemandPlan,
  demandChangesLastHour,
  listBuckets,
  pruneDemandDecisions,
} from '../db/buckets.js'
import type { Queryable } from '../db/client.js'
import { listClusters } from '../db/clusters.js'
import { listFaasDeployments } from '../db/faas-deployments.js'
import { listStorageDeployments } from '../db/storage-deployments.js'
import type { ZoneDemand } from '../observe/traffic.js'
import { Periodic } from '../lib/periodic.js'
import { DEMAND_DEFAULTS, planDemand, type DemandPlan } from './demand-plan.js'

export const DEMAND_INTERVAL_MS = 5_000

export interface DemandLoopDeps {
  db: Queryable
  changes: ChangeHub
  log: Logger
  demand: (bucket: string, windowS: number) => ZoneDemand[]
  decided?: (bucket: string, action: 'add' | 'remove') => void
  intervalMs?: number
  now?: () => number
}

export class DemandLoop extends Periodic {
  /** Bucket id → zones over the threshold that got nothing, and why (the last round's). */
  readonly #held = new Map<number, DemandPlan['held']>()
  #rounds = 0

  constructor(private readonly deps: DemandLoopDeps) {
    super(deps.intervalMs ?? DEMAND_INTERVAL_MS, (err) =>
      deps.log.warn('demand planning failed', { error: err }),
    )
  }

  held(bucketId: number): DemandPlan['held'] {
    return this.#held.get(bucketId) ?? []
  }

  /** One round over every bucket that opted in. */
  async round(): Promise<void> {
    const { db } = this.deps
    const now = (this.deps.now ?? Date.now)()
    // Most installations have no bucket on demand: one cheap query, not the full bucket list.
    if (!(await anyBucketOnDemand(db))) {
      this.#held.clear()
      return
    }
    const buckets = (await listBuckets(db)).filter((b) => b.demand?.enabled)
    for (const id of this.#held.keys())
      if (!buckets.some((b) => b.bucket_id === id)) this.#held.delete(id)
    if (buckets.length === 0) return
    const [storages, clusters, faas] = [
      await listStorageDeployments(db),
      await listClusters(db),
      await listFaasDeployments(db),
    ]
    const faasClusters = new Set(faas.map((f) => f.cluster_id))
    for (const bucket of buckets) {
      if (!bucket.demand) continue
      // Settings stored before a field existed take its default.
      const settings = { ...DEMAND_DEFAULTS, ...bucket.demand }
      const plan = planDemand({
        bucket: { ...bucket, total_bytes: Number(bucket.total_bytes), demand: settings },
        storages,
        clusters,
        faasClusters,
        copies: [bucket.storage_id, ...bucket.replicas.map((r) => r.storage_id)],
        demandReplicas: bucket.demand_replicas.map((d) => ({
          storage_id: d.storage_id,
          zone: d.zone,
          added_at: Date.parse(d.added_at),
          last_demand_at: Date.parse(d.last_demand_at),
        })),
        demand: this.deps.demand(bucket.name, settings.window_s),
        changesLastHour:
          bucket.demand_decisions.length === 0
            ? 0
            : await demandChangesLastHour(db, bucket.bucket_id),
        now,
      })
      this.#held.set(bucket.bucket_id, plan.held)
      if (plan.add.length + plan.remove.length + plan.refresh.length === 0) continue
      const changed = plan.add.length + plan.remove.length > 0
      await this.deps.changes.commit(async (tx, record) => {
        await applyDemandPlan(tx, bucket.bucket_id, plan)
        if (changed) record({ reconcile: [bucket.bucket_id] })
      })
      for (const [action, decisions] of [
        ['add', plan.add],
        ['remove', plan.remove],
      ] as const)
        for (const d of decisions) {
          this.deps.log.info(`replica ${action === 'add' ? 'added' : 'removed'} on demand`, {
            bucket: bucket.name,
            storage: d.storage_id,
            zone: d.zone,
            reason: d.reason,
          })
          this.deps.decided?.(bucket.name, action)
        }
    }
    if (++this.#rounds % 720 === 1) await pruneDemandDecisions(db)
  }
}
