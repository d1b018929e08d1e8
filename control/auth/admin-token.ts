/**
 * Where the admin token comes from: the configuration when given; otherwise, on a loopback
 * address only, the one stored in the data dir (generated on first start, file mode 0600).
 * On a non-loopback address without a configured token FaDO refuses to start.
 */
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { isLoopback } from '../config.js'
import { ConfigError } from '../lib/errors.js'
import { requirePrivateFile } from './private-files.js'

export interface AdminToken {
  token: string
  source: 'configured' | 'generated' | 'stored'
  /** The file holding a generated token. */
  file?: string
}

export function resolveAdminToken(opts: {
  configured: string | undefined
  listenHost: string
  dataDir: string
}): AdminToken {
  if (opts.configured) return { token: opts.configured, source: 'configured' }
  if (!isLoopback(opts.listenHost)) {
    throw new ConfigError(
      `listening on ${opts.listenHost} (not loopback) needs an admin token: set --admin-token or FADO_ADMIN_TOKEN`,
    )
  }
  const file = path.join(opts.dataDir, 'admin-token')
  try {
    if (fs.existsSync(file)) requirePrivateFile(file)
    const stored = fs.readFileSync(file, 'utf8').trim()
    if (stored.length >= 16) return { token: stored, source: 'stored', file }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  fs.mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 })
  const token = randomBytes(32).toString('base64url')
  fs.writeFileSync(file, token + '\n', { mode: 0o600 })
  return { token, source: 'generated', file }
}
