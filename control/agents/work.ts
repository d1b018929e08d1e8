/**
 * Control's side of the agents (issue 22). A pass that has a replica's bytes moved by agents
 * submits each copy as a piece of work (agent_work) and waits for its result; agents of that
 * cluster claim pieces (long-polled), renew their leases while they run, and report. A report
 * under a live lease settles the piece — the waiting pass then records and counts it exactly as
 * an in-process copy; a report under a lapsed or re-offered lease is refused (409) and counted.
 * A piece whose agent died is re-offered when its lease lapses; a piece nobody can take (no live
 * agent in the cluster any more) fails the pass, which is retried and then routed afresh.
 *
 * Waiting passes are woken at once by a report to this process, and look in the database every
 * second for reports that reached another control process; claims likewise.
 */
import { EventEmitter } from 'node:events'
import type { ClaimBody, ReportBody, RenewBody, WorkOrder } from '../../agent/protocol.js'
import type { Logger } from '../../edge/log.js'
import {
  agentSeen,
  claimWork,
  deleteWork,
  finishWork,
  forgetGoneAgents,
  forgetUnwantedWork,
  getWork,
  insertWork,
  liveAgentClusters,
  releaseWork,
  renewLease,
  setUploadId,
  stillWanted,
  type WorkKind,
  type WorkObject,
  type WorkRow,
} from '../db/agents.js'
import type { BucketRow } from '../db/buckets.js'
import type { Db } from '../db/client.js'
import { listClusters, type ClusterRow } from '../db/clusters.js'
import { listStorageDeployments, type StorageDeploymentRow } from '../db/storage-deployments.js'
import { FadoError, invalidField } from '../lib/errors.js'
import type { Principal } from '../auth/tokens.js'
import { SOURCE_ETAG_META } from '../replication/copy.js'
import type { StorageRegistry } from '../storage/registry.js'
import { workOrder } from './orders.js'
import { copyRoute, type CopyRoute, type DataPath } from './route.js'

export interface AgentWorkOptions {
  /** How long a claim holds a piece of work unless renewed (--agent-lease). */
  leaseMs: number
  /** How long the pre-signed URLs of a piece stay valid (--agent-url-expiry). */
  urlExpirySeconds: number
  /** An agent not heard from for this long is not counted on (its cluster falls back). */
  liveMs?: number
}

/** A piece of work failed where its agent carried it out: the reason is the agent's. */
export class AgentWorkFailed extends Error {}

const POLL_MS = 1_000
/** How long a piece stays wanted without its pass saying it still waits. */
const WANTED_MS = 60_000

const leaseLost = () =>
  new FadoError(
    409,
    'lease_lost',
    'this lease is no longer live: the work was re-offered (its lease lapsed); the result is refused',
  )

export class AgentWork {
  readonly #events = new EventEmitter()
  readonly liveMs: number
  #live: { at: number; clusters: Promise<Set<number>> } | undefined
  #lastPrune = 0
  #stopped = false

  constructor(
    private readonly db: Db,
    private readonly storages: StorageRegistry,
    private readonly log: Logger,
    readonly options: AgentWorkOptions,
    /** A cluster got its first live agent: replicas that waited or fell back may go through it. */
    private readonly onAgentArrived: () => void = () => {},
  ) {
    this.liveMs = options.liveMs ?? Math.max(30_000, options.leaseMs)
    this.#events.setMaxListeners(0)
  }

  /** Clusters with a live agent (read at most once a second). */
  liveClusters(): Promise<Set<number>> {
    const now = Date.now()
    if (!this.#live || now - this.#live.at > POLL_MS) {
      const clusters = liveAgentClusters(this.db, this.liveMs)
      clusters.catch(() => {})
      this.#live = { at: now, clusters }
    }
    return this.#live.clusters
  }

  /** Who moves the bytes of one replica of a bucket, now. */
  async route(bucket: BucketRow, replicaStorageId: number): Promise<CopyRoute> {
    const [storages, clusters, live] = [
      await listStorageDeployments(this.db),
      await listClusters(this.db),
      await this.liveClusters(),
    ]
    const clusterOf = (storageId: number) => {
      const clusterId = storages.find((s) => s.storage_id === storageId)?.cluster_id
      return clusters.find((c) => c.cluster_id === clusterId)
    }
    return copyRoute({
      dataPath: (bucket.data_path ?? 'any') as DataPath,
      masterCluster: clusterOf(bucket.storage_id),
      replicaCluster: clusterOf(replicaStorageId),
      live,
    })
  }

  /**
   * Hands a piece of work to the agents of `clusterId` and waits for its result. Throws
   * AgentWorkFailed with the agent's reason, or when no live agent is left to take it.
   */
  async submit(piece: {
    clusterId: number
    bucketId: number
    masterId: number
    replicaId: number
    kind: WorkKind
    objects: WorkObject[]
  }): Promise<ReportBody> {
    const workId = await insertWork(this.db, {
      cluster_id: piece.clusterId,
      bucket_id: piece.bucketId,
      master_id: piece.masterId,
      replica_id: piece.replicaId,
      kind: piece.kind,
      objects: piece.objects,
      wantedMs: WANTED_MS,
    })
    this.#events.emit(`cluster:${piece.clusterId}`)
    let wanted = Date.now()
    try {
      for (;;) {
        await this.#settled(workId)
        if (this.#stopped) throw new AgentWorkFailed('control is stopping')
        const row = await getWork(this.db, workId)
        if (!row) throw new AgentWorkFailed(`work ${workId} vanished`)
        if (row.state === 'done') return row.result as ReportBody
        if (row.state === 'failed') {
          const result = row.result as ReportBody
          throw new AgentWorkFailed(`agent ${row.agent_id}: ${result.error ?? 'failed'}`)
        }
        if (Date.now() - wanted > WANTED_MS / 3) {
          await stillWanted(this.db, [workId], WANTED_MS)
          wanted = Date.now()
        }
        const held = row.state === 'leased' && (row.lease_until?.getTime() ?? 0) > Date.now()
        if (!held && !(await this.liveClusters()).has(piece.clusterId))
          throw new AgentWorkFailed(
            `no live agent in the cluster took the work (none heard from in ${this.liveMs / 1000} s)`,
          )
      }
    } finally {
      await deleteWork(this.db, workId).catch(() => {})
    }
  }

  /** Passes waiting for agents stop waiting (control is shutting down; the work is re-made). */
  stop(): void {
    this.#stopped = true
    this.#events.emit('stop')
  }

  /** Resolves when the piece is reported to this process, or after a second. */
  #settled(workId: number): Promise<void> {
    return this.#woken([`work:${workId}`, 'stop'], POLL_MS)
  }

  /** Resolves on the first of these events, after `ms`, or when `signal` aborts. */
  #woken(events: string[], ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer)
        for (const e of events) this.#events.off(e, done)
        signal?.removeEventListener('abort', done)
        resolve()
      }
      const timer = setTimeout(done, ms)
      for (const e of events) this.#events.on(e, done)
      signal?.addEventListener('abort', done, { once: true })
    })
  }

  /** The agent's cluster: the one its token is tied to, which must be the one it says. */
  async #agentCluster(principal: Principal, name: string | undefined): Promise<ClusterRow> {
    if (principal.cluster_id === null)
      throw new FadoError(
        403,
        'forbidden',
        'only an agent token takes work: it is tied to the cluster the agent runs in',
      )
    const clusters = await listClusters(this.db)
    const own = clusters.find((c) => c.cluster_id === principal.cluster_id)
    if (!own) throw new FadoError(403, 'forbidden', "this token's cluster no longer exists")
    if (name !== undefined && name !== own.name)
      throw new FadoError(
        403,
        'forbidden',
        `this token is for the agents of cluster '${own.name}', not '${name}'`,
      )
    return own
  }

  /** An agent asks for work: up to `max` pieces, waiting up to `wait_ms` for some. */
  async claim(
    principal: Principal,
    body: ClaimBody & { max: number; wait_ms: number },
    signal?: AbortSignal,
  ): Promise<{ lease_ms: number; work: WorkOrder[] }> {
    const cluster = await this.#agentCluster(principal, body.cluster)
    const seen = async () => {
      const { first } = await agentSeen(this.db, {
        agent_id: body.agent_id,
        cluster_id: cluster.cluster_id,
        token_id: principal.token_id,
        version: body.version,
      })
      if (first) {
        this.log.info('agent arrived', { agent: body.agent_id, cluster: cluster.name })
        this.#live = undefined
        this.onAgentArrived()
      }
    }
    await seen()
    await this.#prune()
    const deadline = Date.now() + body.wait_ms
    for (;;) {
      if (signal?.aborted) return { lease_ms: this.options.leaseMs, work: [] }
      const rows = await claimWork(this.db, {
        cluster_id: cluster.cluster_id,
        agent_id: body.agent_id,
        max: body.max,
        leaseMs: this.options.leaseMs,
      })
      if (rows.length > 0 && signal?.aborted) {
        // Nobody is there to take it any more: back to the queue at once.
        for (const r of rows)
          await releaseWork(this.db, {
            work_id: r.work_id,
            agent_id: body.agent_id,
            lease: r.lease,
          })
        return { lease_ms: this.options.leaseMs, work: [] }
      }
      if (rows.length > 0) {
        const storages = await listStorageDeployments(this.db)
        const work = await Promise.all(
          rows.map((r) => this.#order(r, body.storage_endpoints, storages)),
        )
        return { lease_ms: this.options.leaseMs, work }
      }
      if (Date.now() >= deadline || signal?.aborted)
        return { lease_ms: this.options.leaseMs, work: [] }
      await this.#woken(
        [`cluster:${cluster.cluster_id}`],
        Math.min(POLL_MS, deadline - Date.now()),
        signal,
      )
      // A long wait still counts as being there.
      if (Date.now() - deadline < -POLL_MS) await seen()
    }
  }

  async #prune(): Promise<void> {
    if (Date.now() - this.#lastPrune < 60_000) return
    this.#lastPrune = Date.now()
    await forgetUnwantedWork(this.db)
    await forgetGoneAgents(this.db)
  }

  /** A piece of work as the agent gets it: URLs signed for the hosts it reaches. */
  async #order(
    row: WorkRow,
    endpoints: Record<string, string> | undefined,
    storages: readonly StorageDeploymentRow[],
  ): Promise<WorkOrder> {
    const aliasOf = (id: number) => storages.find((r) => r.storage_id === id)?.alias
    const endpointOf = (id: number) => {
      const alias = aliasOf(id)
      return alias === undefined ? undefined : endpoints?.[alias]
    }
    const master = await this.storages.get(row.master_id)
    const replica = await this.storages.get(row.replica_id)
    return workOrder(
      row,
      {
        master,
        replica,
        masterEndpoint: endpointOf(row.master_id),
        replicaEndpoint: endpointOf(row.replica_id),
      },
      this.options.urlExpirySeconds,
      async () => {
        const [object] = row.objects
        if (!object) throw new Error('no object')
        const stat = await master.stat(row.bucket, object.key)
        const uploadId = await replica.startMultipart(
          row.bucket,
          object.key,
          stat?.metadata['content-type'] ?? 'application/octet-stream',
          { [SOURCE_ETAG_META]: object.etag },
        )
        await setUploadId(this.db, { work_id: row.work_id, lease: row.lease, upload_id: uploadId })
        return uploadId
      },
    )
  }

  /** The work a principal may act on: its cluster's only. */
  async #ownWork(principal: Principal, workId: number): Promise<WorkRow> {
    const row = await getWork(this.db, workId)
    if (!row) throw leaseLost()
    if (row.cluster_id !== principal.cluster_id)
      throw new FadoError(403, 'forbidden', "this work belongs to another cluster's agents")
    return row
  }

  /** An agent still works on a piece: its lease goes on (and its URLs are signed again if asked). */
  async renew(
    principal: Principal,
    workId: number,
    body: RenewBody & { fresh_urls: boolean },
  ): Promise<{ lease_until: string; order?: WorkOrder }> {
    await this.#ownWork(principal, workId)
    const row = await renewLease(this.db, {
      work_id: workId,
      agent_id: body.agent_id,
      lease: body.lease,
      leaseMs: this.options.leaseMs,
    })
    if (!row) throw leaseLost()
    const lease_until = (row.lease_until ?? new Date()).toISOString()
    if (!body.fresh_urls) return { lease_until }
    const storages = await listStorageDeployments(this.db)
    return { lease_until, order: await this.#order(row, body.storage_endpoints, storages) }
  }

  /** An agent reports a piece done or failed; refused unless its lease is still live. */
  async report(principal: Principal, workId: number, body: ReportBody): Promise<void> {
    const row = await this.#ownWork(principal, workId)
    const expected = new Set(row.objects.map((o) => o.key))
    const stray = body.objects.find((o) => !expected.has(o.key))
    if (stray) throw invalidField('objects', `${stray.key} is not part of this work`)
    const held = { work_id: workId, agent_id: body.agent_id, lease: body.lease }
    if (body.release) {
      if (!(await releaseWork(this.db, held))) throw leaseLost()
      this.#events.emit(`cluster:${row.cluster_id}`)
      return
    }
    const copied = body.objects.filter((o) => o.outcome === 'copied')
    const accepted = await finishWork(this.db, held, {
      state: body.ok ? 'done' : 'failed',
      result: body,
      bytes: body.bytes,
      objects: copied.length,
    })
    if (!accepted) {
      this.log.warn('agent result refused: its lease was no longer live', {
        agent: body.agent_id,
        work: workId,
      })
      throw leaseLost()
    }
    this.#events.emit(`work:${workId}`)
  }
}
