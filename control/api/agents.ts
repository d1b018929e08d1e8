/**
 * The agents' API (agent-scope tokens, each tied to one cluster): claim work, renew a lease,
 * report a result (agent/protocol.ts is the contract). And, for admins, GET /api/agents: every
 * agent that reported itself, with its cluster, version, last contact, work in flight and bytes
 * moved.
 */
import type { ServerResponse } from 'node:http'
import { Hono } from 'hono'
import { claimBody, renewBody, reportBody } from '../../agent/protocol.js'
import { listAgents } from '../db/agents.js'
import { FadoError } from '../lib/errors.js'
import type { AuthVariables } from './auth.js'
import type { ApiDeps } from './deps.js'
import { agentView } from './answers.js'
import { parseBody, parseId } from './validate.js'

const unavailable = () =>
  new FadoError(503, 'agents_unavailable', 'this control process does not hand out agent work')

export function agentWorkApi({ agents }: ApiDeps): Hono<{ Variables: AuthVariables }> {
  const work = () => {
    if (!agents) throw unavailable()
    return agents
  }
  return new Hono<{ Variables: AuthVariables }>()
    .post('/claim', async (c) => {
      const input = await parseBody(c, claimBody)
      // A claim waits for work; the agent may be gone before it comes (stopped, killed): work
      // claimed for nobody would sit out a whole lease.
      const gone = new AbortController()
      const outgoing = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing
      const hungUp = () => {
        if (!outgoing?.writableFinished) gone.abort()
      }
      outgoing?.once('close', hungUp)
      try {
        return c.json(await work().claim(c.get('principal'), input, gone.signal))
      } finally {
        outgoing?.off('close', hungUp)
      }
    })
    .post('/work/:id/renew', async (c) => {
      const workId = parseId(c.req.param('id'), 'work_id')
      const input = await parseBody(c, renewBody)
      return c.json(await work().renew(c.get('principal'), workId, input))
    })
    .post('/work/:id/report', async (c) => {
      const workId = parseId(c.req.param('id'), 'work_id')
      const input = await parseBody(c, reportBody)
      await work().report(c.get('principal'), workId, input)
      return c.json({ accepted: true as const })
    })
}

export function agentsApi({ db, agents }: ApiDeps): Hono {
  return new Hono().get('/', async (c) => {
    const liveMs = agents?.liveMs ?? 30_000
    return c.json((await listAgents(db)).map((a) => agentView(a, liveMs)))
  })
}
