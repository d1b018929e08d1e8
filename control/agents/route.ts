/**
 * Who moves a replica's bytes (issue 22), decided from facts only (pure): an agent in the
 * replica's cluster pulls from the master; else an agent in the master's cluster pushes; else
 * control copies as it always did — unless the bucket asks that its bytes never pass through
 * control (data_path 'agents'), when the replica waits for an agent. While an agent is there,
 * its failures are the replica's failures: control never takes the bytes over from a live agent.
 */
export type DataPath = 'any' | 'agents'
export const DATA_PATHS = ['any', 'agents'] as const

export type CopyRoute =
  | { via: 'agent'; clusterId: number; pull: boolean }
  | { via: 'control' }
  | { via: 'wait'; reason: string }

export function copyRoute(input: {
  dataPath: DataPath
  masterCluster: { cluster_id: number; name: string } | undefined
  replicaCluster: { cluster_id: number; name: string } | undefined
  /** Clusters with a live agent. */
  live: ReadonlySet<number>
}): CopyRoute {
  const { replicaCluster, masterCluster, live } = input
  if (replicaCluster && live.has(replicaCluster.cluster_id))
    return { via: 'agent', clusterId: replicaCluster.cluster_id, pull: true }
  if (masterCluster && live.has(masterCluster.cluster_id))
    return { via: 'agent', clusterId: masterCluster.cluster_id, pull: false }
  if (input.dataPath === 'any') return { via: 'control' }
  const where = [replicaCluster?.name, masterCluster?.name].filter((n) => n !== undefined)
  const unique = [...new Set(where)]
  return {
    via: 'wait',
    reason: `waiting for an agent: this bucket's bytes never pass through control (data_path agents), and no agent is running in cluster ${unique.join(' or ')}`,
  }
}
