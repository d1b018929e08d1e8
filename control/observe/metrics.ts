/**
 * Control's Prometheus metrics (GET /metrics, admin or metrics-scope token). Names are fixed so
 * dashboards can rely on them; label values are only names FaDO itself holds (buckets, storage
 * aliases, route patterns, status codes), never raw client input, so series stay bounded.
 *
 *   fado_replication_pending_objects{bucket,storage}  objects found to differ, not yet copied
 *   fado_replication_pending_bytes{bucket,storage}    their bytes
 *   fado_replication_lag_seconds{bucket}              change seen on the master → replica has it
 *   fado_replication_errors_total{bucket,storage}     failed replica syncs (passes and changes)
 *   fado_replica_repairs_total{bucket,storage}        replica objects changed or added behind
 *                                                     FaDO's back, repaired from the master
 *   fado_replica_in_sync{bucket,storage}              1 when the replica is synced (routable)
 *   fado_full_pass_duration_seconds{bucket,storage}   the last full pass that verified it: time
 *   fado_full_pass_objects{bucket,storage}            … and objects it compared
 *   fado_full_pass_age_seconds{bucket,storage}        … and how long ago it ended
 *   fado_snapshot_version                             the newest published route snapshot
 *   fado_api_requests_total{method,route,code}        admin API requests answered
 *   fado_demand_decisions_total{bucket,action}        replicas added / removed on demand
 *   fado_db_upkeep_total{table,action}                the embedded database's VACUUM / ANALYZE
 *   fado_db_upkeep_seconds_total{table,action}        … and the time they held it (db/upkeep.ts)
 *   fado_control_process_* and fado_control_nodejs_*  the control process itself (prom-client's
 *                                                     defaults): resident memory, heap, CPU,
 *                                                     event-loop lag (what a pass costs the API), GC
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { Queryable } from '../db/client.js'
import { listBuckets, type BucketRow } from '../db/buckets.js'
import { listStorageDeployments } from '../db/storage-deployments.js'
import { listAgents, type AgentRow } from '../db/agents.js'
import { listClusters } from '../db/clusters.js'
import type { ReplicationObserver } from '../replication/observer.js'
import type { Upkeep } from '../db/upkeep.js'

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

type Replica = BucketRow['replicas'][number]

export class ControlMetrics implements ReplicationObserver {
  readonly registry = new Registry()
  readonly #pendingObjects: Gauge<'bucket' | 'storage'>
  readonly #pendingBytes: Gauge<'bucket' | 'storage'>
  readonly #repairs: Counter<'bucket' | 'storage'>
  readonly #lag: Histogram<'bucket'>
  readonly #errors: Counter<'bucket' | 'storage'>
  readonly #api: Counter<'method' | 'route' | 'code'>
  readonly #demand: Counter<'bucket' | 'action'>
  readonly #upkeep: Counter<'table' | 'action'>
  readonly #upkeepSeconds: Counter<'table' | 'action'>
  /** This scrape's read of every replica (see text()). */
  #replicas: Promise<{ bucket: string; storage: string; replica: Replica }[]> | undefined

  constructor(sources: {
    db: Queryable
    snapshotVersion: () => number
    /** Notify records refused since start (another deployment's than the token's). */
    notifyRefused?: () => number
    /** Replica bytes this process had copied: through itself, and by agents. */
    replicationBytes?: () => { control: number; agents: number }
    /** An agent counts as live when heard from within this (ms). */
    agentLiveMs?: number
  }) {
    const registers = [this.registry]
    collectDefaultMetrics({ register: this.registry, prefix: 'fado_control_' })
    this.#pendingObjects = new Gauge({
      name: 'fado_replication_pending_objects',
      help: 'Objects found to differ between a master and a replica, not yet copied (or deleted)',
      labelNames: ['bucket', 'storage'],
      registers,
    })
    this.#pendingBytes = new Gauge({
      name: 'fado_replication_pending_bytes',
      help: 'Bytes of the objects pending replication',
      labelNames: ['bucket', 'storage'],
      registers,
    })
    this.#lag = new Histogram({
      name: 'fado_replication_lag_seconds',
      help: 'From FaDO seeing a change on a master (event or pass) to the replica having it',
      labelNames: ['bucket'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600],
      registers,
    })
    this.#errors = new Counter({
      name: 'fado_replication_errors_total',
      help: 'Replica syncs that failed (a full pass or a change), by bucket and replica storage',
      labelNames: ['bucket', 'storage'],
      registers,
    })
    this.#repairs = new Counter({
      name: 'fado_replica_repairs_total',
      help: "Replica objects changed or added behind FaDO's back, repaired from the master",
      labelNames: ['bucket', 'storage'],
      registers,
    })
    this.#demand = new Counter({
      name: 'fado_demand_decisions_total',
      help: 'Replicas added or removed on demand (README "Replicas on demand"), by bucket',
      labelNames: ['bucket', 'action'],
      registers,
    })
    this.#upkeep = new Counter({
      name: 'fado_db_upkeep_total',
      help: "The embedded database's VACUUM and ANALYZE runs (autovacuum's job), by table",
      labelNames: ['table', 'action'],
      registers,
    })
    this.#upkeepSeconds = new Counter({
      name: 'fado_db_upkeep_seconds_total',
      help: 'Time the embedded database spent in them (it answers nothing else meanwhile)',
      labelNames: ['table', 'action'],
      registers,
    })
    this.#api = new Counter({
      name: 'fado_api_requests_total',
      help: 'Admin API requests answered, by method, route pattern and status code',
      labelNames: ['method', 'route', 'code'],
      registers,
    })
    // Per replica, read at scrape time, once per scrape for all of them (text() starts each
    // scrape afresh); a database that does not answer leaves the series out.
    const replicas = () =>
      (this.#replicas ??= (async () => {
        const [buckets, storages] = [
          await listBuckets(sources.db),
          await listStorageDeployments(sources.db),
        ]
        const alias = new Map(storages.map((st) => [st.storage_id, st.alias]))
        return buckets.flatMap((b) =>
          b.replicas.map((replica) => ({
            bucket: b.name,
            storage: alias.get(replica.storage_id) ?? String(replica.storage_id),
            replica,
          })),
        )
      })())
    const perReplica = (name: string, help: string, value: (r: Replica) => number | null) =>
      new Gauge({
        name,
        help,
        labelNames: ['bucket', 'storage'],
        registers,
        async collect() {
          try {
            const rows = await replicas()
            this.reset()
            for (const { bucket, storage, replica } of rows) {
              const v = value(replica)
              if (v !== null) this.set({ bucket, storage }, v)
            }
          } catch {
            this.reset()
          }
        },
      })
    perReplica(
      'fado_replica_in_sync',
      'Whether a replica is synced (1, invocations may go to its cluster) or not (0)',
      (r) => (r.status === 'synced' ? 1 : 0),
    )
    perReplica(
      'fado_full_pass_duration_seconds',
      'How long the last full pass that verified a replica took',
      (r) => (r.last_full_pass_ms === null ? null : r.last_full_pass_ms / 1000),
    )
    perReplica('fado_full_pass_objects', 'Objects the last full pass of a replica compared', (r) =>
      r.last_full_pass_objects === null ? null : Number(r.last_full_pass_objects),
    )
    perReplica(
      'fado_full_pass_age_seconds',
      'Seconds since the last full pass that verified a replica ended',
      (r) =>
        r.last_full_pass_at === null ? null : (Date.now() - Date.parse(r.last_full_pass_at)) / 1000,
    )
    new Counter({
      name: 'fado_notify_records_refused_total',
      help: "Records delivered to /api/notify refused: they named another storage deployment than the notify token's",
      registers,
      collect() {
        this.reset()
        this.inc(sources.notifyRefused?.() ?? 0)
      },
    })
    new Counter({
      name: 'fado_replication_bytes_total',
      help: "Replica bytes copied by this control's passes: via=control passed through this process, via=agent were moved by agents next to the storage",
      labelNames: ['via'],
      registers,
      collect() {
        this.reset()
        const b = sources.replicationBytes?.() ?? { control: 0, agents: 0 }
        this.inc({ via: 'control' }, b.control)
        this.inc({ via: 'agent' }, b.agents)
      },
    })
    const agentsPerCluster = (
      name: string,
      help: string,
      value: (a: AgentRow, live: boolean) => number,
      Kind: typeof Gauge | typeof Counter = Gauge,
    ) =>
      new Kind({
        name,
        help,
        labelNames: ['cluster'],
        registers,
        async collect() {
          try {
            const [agents, clusters] = [
              await listAgents(sources.db),
              await listClusters(sources.db),
            ]
            const names = new Map(clusters.map((c) => [c.cluster_id, c.name]))
            const liveMs = sources.agentLiveMs ?? 30_000
            const sums = new Map<string, number>()
            for (const a of agents) {
              const cluster = names.get(a.cluster_id) ?? String(a.cluster_id)
              const live = Date.now() - new Date(a.last_seen_at).getTime() < liveMs
              sums.set(cluster, (sums.get(cluster) ?? 0) + value(a, live))
            }
            this.reset()
            for (const [cluster, v] of sums) (this as Gauge<'cluster'>).inc({ cluster }, v)
          } catch {
            this.reset()
          }
        },
      })
    agentsPerCluster('fado_agents_live', 'Agents heard from recently, per cluster', (_a, live) =>
      live ? 1 : 0,
    )
    agentsPerCluster(
      'fado_agent_work_in_flight',
      'Pieces of copy work agents hold a lease on now, per cluster',
      (a) => a.in_flight,
    )
    agentsPerCluster(
      'fado_agent_bytes_moved_total',
      'Bytes agents moved (results accepted), per cluster',
      (a) => Number(a.bytes_moved),
      Counter,
    )
    agentsPerCluster(
      'fado_agent_reports_refused_total',
      'Agent results refused because their lease was no longer live, per cluster',
      (a) => Number(a.reports_refused),
      Counter,
    )
    new Gauge({
      name: 'fado_snapshot_version',
      help: 'Version of the newest route snapshot control has published',
      registers,
      collect() {
        this.set(sources.snapshotVersion())
      },
    })
  }

  pending(bucket: string, storage: string, objects: number, bytes: number): void {
    this.#pendingObjects.inc({ bucket, storage }, objects)
    this.#pendingBytes.inc({ bucket, storage }, bytes)
  }

  replicated(bucket: string, _storage: string, lagSeconds: number): void {
    this.#lag.observe({ bucket }, lagSeconds)
  }

  failed(bucket: string, storage: string): void {
    this.#errors.inc({ bucket, storage })
  }

  repaired(bucket: string, storage: string, objects: number): void {
    this.#repairs.inc({ bucket, storage }, objects)
  }

  demandDecision(bucket: string, action: 'add' | 'remove'): void {
    this.#demand.inc({ bucket, action })
  }

  dbUpkeep(u: Pick<Upkeep, 'table' | 'action'>, seconds: number): void {
    const labels = { table: u.table ?? '(all)', action: u.action }
    this.#upkeep.inc(labels)
    this.#upkeepSeconds.inc(labels, seconds)
  }

  apiRequest(method: string, route: string, code: number): void {
    this.#api.inc({ method, route, code: String(code) })
  }

  text(): Promise<string> {
    this.#replicas = undefined
    return this.registry.metrics()
  }
}
