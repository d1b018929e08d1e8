/** Real `fado agent` processes (the built bin) for system tests, and their tokens. */
import type { TestControl } from './control.js'
import { startFado, type RunningFado } from './fado-process.js'

/** An agent-scope token for one cluster, made through the API. */
export async function agentToken(fado: TestControl, clusterId: number): Promise<string> {
  const res = await fado.api('POST', '/api/tokens', {
    name: `agent-${clusterId}-${Math.random().toString(36).slice(2, 8)}`,
    scope: 'agent',
    cluster_id: clusterId,
  })
  if (res.status !== 201) throw new Error(res.text)
  return res.body.token as string
}

export interface TestAgent extends RunningFado {
  agentId: string
}

/** Starts `fado agent` for a cluster; resolves once it printed its id. */
export async function startAgentProcess(opts: {
  controlUrl: string
  token: string
  cluster: string
  /** alias → host:port where this agent reaches a storage deployment. */
  endpoints?: Record<string, string>
  concurrency?: number
}): Promise<TestAgent> {
  const endpoints = Object.entries(opts.endpoints ?? {}).map(([a, e]) => `${a}=${e}`)
  const agent = startFado(
    [
      'agent',
      '--control-url',
      opts.controlUrl,
      '--cluster',
      opts.cluster,
      '--agent-concurrency',
      String(opts.concurrency ?? 4),
      ...endpoints.flatMap((e) => ['--storage-endpoint', e]),
    ],
    // The token through the environment, as a service manager would pass a secret.
    { env: { FADO_AGENT_TOKEN: opts.token } },
  )
  const [, agentId] = await agent.waitForOutput(/FaDO agent (\S+)/)
  return Object.assign(agent, { agentId: agentId as string })
}

export interface AgentAnswer {
  agent_id: string
  cluster_id: number
  live: boolean
  in_flight: number
  bytes_moved: number
  objects_moved: number
  work_done: number
  work_failed: number
  reports_refused: number
  version: string
}

export async function listAgents(fado: TestControl): Promise<AgentAnswer[]> {
  const res = await fado.api('GET', '/api/agents')
  if (res.status !== 200) throw new Error(res.text)
  return res.body as AgentAnswer[]
}
