/**
 * A replica's copies carried out by the agents of a cluster (issue 22): each copy or batch is a
 * piece of work (work.ts) whose result comes back as what an in-process copy answers — the
 * master version read and the replica's ETag — and is counted in the same stats.
 */
import type { ReportedObject } from '../../agent/protocol.js'
import type { Copy } from '../replication/actions.js'
import type { Copied, Copier, SyncStats } from '../replication/copy.js'
import type { ObjectEntry } from '../storage/types.js'
import type { AgentWork } from './work.js'

const copiedOf = (o: ReportedObject): Copied | undefined =>
  o.outcome !== 'copied' || o.size === undefined || o.etag === undefined
    ? undefined
    : {
        entry: {
          key: o.key,
          size: o.size,
          etag: o.etag,
          last_modified: new Date(o.last_modified ?? Date.now()),
        },
        etag: o.replica_etag ?? null,
      }

export function agentCopier(
  work: AgentWork,
  piece: { clusterId: number; bucketId: number; masterId: number; replicaId: number },
  stats: SyncStats,
): Copier {
  const count = (copied: Copied[], bytes: number) => {
    stats.objects_copied += copied.length
    stats.bytes_copied += bytes
    stats.bytes_by_agents += bytes
  }
  const wanted = (key: string, source: ObjectEntry) => ({
    key,
    size: source.size,
    etag: source.etag,
  })
  return {
    async copy(key, source) {
      const result = await work.submit({ ...piece, kind: 'copy', objects: [wanted(key, source)] })
      const copied = result.objects.map(copiedOf).filter((c) => c !== undefined)
      count(copied, result.bytes)
      return copied[0]
    },
    async batch(copies: Copy[]) {
      const result = await work.submit({
        ...piece,
        kind: 'batch',
        objects: copies.map((c) => wanted(c.key, c.source)),
      })
      const copied = new Map<string, Copied>()
      for (const o of result.objects) {
        const c = copiedOf(o)
        if (c) copied.set(o.key, c)
      }
      count([...copied.values()], result.bytes)
      if (copied.size > 0) stats.batch_uploads++
      return copied
    },
  }
}
