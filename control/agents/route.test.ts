import { describe, expect, it } from 'vitest'
import { copyRoute } from './route.js'

const a = { cluster_id: 1, name: 'hpc' }
const b = { cluster_id: 2, name: 'cloud' }

describe('copyRoute', () => {
  it("an agent in the replica's cluster pulls, before one in the master's", () => {
    expect(
      copyRoute({ dataPath: 'any', masterCluster: a, replicaCluster: b, live: new Set([1, 2]) }),
    ).toEqual({ via: 'agent', clusterId: 2, pull: true })
  })
  it("an agent only in the master's cluster pushes", () => {
    expect(
      copyRoute({ dataPath: 'agents', masterCluster: a, replicaCluster: b, live: new Set([1]) }),
    ).toEqual({ via: 'agent', clusterId: 1, pull: false })
  })
  it('no agent: control copies, unless the bucket keeps its bytes away from control', () => {
    expect(
      copyRoute({ dataPath: 'any', masterCluster: a, replicaCluster: b, live: new Set([3]) }),
    ).toEqual({ via: 'control' })
    const wait = copyRoute({
      dataPath: 'agents',
      masterCluster: a,
      replicaCluster: b,
      live: new Set(),
    })
    expect(wait.via).toBe('wait')
    expect(wait.via === 'wait' && wait.reason).toMatch(
      /no agent is running in cluster cloud or hpc/,
    )
  })
})
