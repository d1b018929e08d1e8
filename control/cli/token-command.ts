/**
 * `fado token create | list | revoke`: the /api/tokens calls from the command line, against a
 * running control (its --control-url, else this host's --api-port), authenticated with the admin
 * token (--admin-token, else the one stored in the data dir).
 */
import fs from 'node:fs'
import path from 'node:path'
import type { TokenCommandConfig } from '../config.js'
import { ConfigError } from '../lib/errors.js'

export const TOKEN_SUBCOMMANDS = ['create', 'list', 'revoke'] as const
export type TokenSubcommand = (typeof TOKEN_SUBCOMMANDS)[number]

function adminToken(config: TokenCommandConfig): string {
  if (config.adminToken) return config.adminToken
  const file = path.join(config.dataDir, 'admin-token')
  try {
    return fs.readFileSync(file, 'utf8').trim()
  } catch {
    throw new ConfigError(
      `no admin token: pass --admin-token (or FADO_ADMIN_TOKEN), or run where ${file} is`,
    )
  }
}

export async function runTokenCommand(
  sub: TokenSubcommand,
  config: TokenCommandConfig,
): Promise<string> {
  const base = config.controlUrl ?? `http://${config.listenHost}:${config.apiPort}`
  const call = async (method: string, p: string, body?: unknown) => {
    let res: Response
    try {
      res = await fetch(`${base}${p}`, {
        method,
        headers: {
          authorization: `Bearer ${adminToken(config)}`,
          'content-type': 'application/json',
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(15_000),
      })
    } catch (err) {
      throw new Error(`cannot reach control at ${base}: ${(err as Error).message}`, { cause: err })
    }
    const text = await res.text()
    const json = text ? (JSON.parse(text) as Record<string, unknown>) : {}
    if (!res.ok) {
      const error = json.error as { message?: string } | undefined
      throw new Error(`control answered ${res.status}: ${error?.message ?? text}`)
    }
    return json
  }
  if (sub === 'create') {
    if (!config.scope)
      throw new ConfigError(
        'fado token create needs --scope (admin, edge, notify, metrics or agent)',
      )
    const name =
      config.name ?? `${config.scope}-${new Date().toISOString().replace(/\D/g, '').slice(0, 14)}`
    if (config.scope === 'notify' && !config.storage)
      throw new ConfigError(
        'fado token create --scope notify needs --storage (the alias of the storage deployment whose events it delivers)',
      )
    if (config.scope === 'agent' && !config.cluster)
      throw new ConfigError(
        'fado token create --scope agent needs --cluster (the name of the cluster whose work the agent takes)',
      )
    let clusterId: number | undefined
    if (config.cluster) {
      const clusters = (await call('GET', '/api/clusters')) as unknown as {
        cluster_id: number
        name: string
      }[]
      clusterId = clusters.find((c) => c.name === config.cluster)?.cluster_id
      if (clusterId === undefined)
        throw new ConfigError(`--cluster: control has no cluster named '${config.cluster}'`)
    }
    const created = await call('POST', '/api/tokens', {
      name,
      scope: config.scope,
      ...(config.storage ? { storage_alias: config.storage } : {}),
      ...(clusterId === undefined ? {} : { cluster_id: clusterId }),
    })
    // The secret alone on the last line, so `| tail -1` captures it.
    return `created token ${String(created.token_id)} '${String(created.name)}' with scope ${String(created.scope)}; it is shown once:\n${String(created.token)}\n`
  }
  if (sub === 'list') {
    const rows = (await call('GET', '/api/tokens')) as unknown as {
      token_id: number
      name: string
      scope: string
      created_at: string
      last_used_at: string | null
    }[]
    const lines = rows.map(
      (t) =>
        `${String(t.token_id).padStart(4)}  ${t.scope.padEnd(7)}  ${t.name.padEnd(24)}  created ${t.created_at}  last used ${t.last_used_at ?? 'never'}`,
    )
    return (
      (lines.length ? lines.join('\n') : 'no tokens (the bootstrap admin token is not listed)') +
      '\n'
    )
  }
  if (!config.tokenId)
    throw new ConfigError('fado token revoke needs --token-id (fado token list shows them)')
  await call('DELETE', `/api/tokens/${config.tokenId}`)
  return `revoked token ${config.tokenId}\n`
}
