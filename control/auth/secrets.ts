/**
 * Storage secret keys at rest: encrypted (AES-256-GCM) with a key kept outside the database —
 * FADO_SECRETS_KEY (32 bytes, base64 or hex) or a 0600 key file in the data dir, generated on
 * first start — so a database dump or the PostgreSQL server alone holds no usable credential.
 * The database records the key's fingerprint; a control process started with another key
 * refuses to start (every control on one database needs the same key) instead of failing later.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { ConfigError } from '../lib/errors.js'
import type { Queryable } from '../db/client.js'
import { setMetaOnce } from '../db/meta.js'
import { requirePrivateFile } from './private-files.js'

const PREFIX = 'v1:'
const FINGERPRINT_KEY = 'secrets_key_fingerprint'

export class SecretBox {
  readonly fingerprint: string

  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error('the secrets key must be 32 bytes')
    this.fingerprint = createHash('sha256')
      .update('fado-secrets-key')
      .update(key)
      .digest('hex')
      .slice(0, 16)
  }

  static isSealed(value: string): boolean {
    return value.startsWith(PREFIX)
  }

  seal(plain: string): string {
    const iv = randomBytes(12)
    const cipher = createCipheriv('aes-256-gcm', this.key, iv)
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()])
    return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64')
  }

  open(sealed: string): string {
    if (!SecretBox.isSealed(sealed)) return sealed // written before encryption (migrated at start)
    const raw = Buffer.from(sealed.slice(PREFIX.length), 'base64')
    const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12))
    decipher.setAuthTag(raw.subarray(12, 28))
    try {
      return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8')
    } catch {
      throw new Error(
        'a stored secret does not open with this secrets key: give every control process the same FADO_SECRETS_KEY',
      )
    }
  }
}

function parseKey(raw: string, source: string): Buffer {
  const text = raw.trim()
  const key = /^[0-9a-f]{64}$/i.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64')
  if (key.length !== 32)
    throw new ConfigError(`${source} must hold 32 bytes, as 64 hex digits or base64`)
  return key
}

/** The key from FADO_SECRETS_KEY, else from <data dir>/secrets.key (made on first start). */
export function loadSecretsKey(dataDir: string, env: NodeJS.ProcessEnv = process.env): SecretBox {
  const fromEnv = env.FADO_SECRETS_KEY
  if (fromEnv) return new SecretBox(parseKey(fromEnv, 'FADO_SECRETS_KEY'))
  const file = path.join(dataDir, 'secrets.key')
  if (fs.existsSync(file)) {
    requirePrivateFile(file)
    return new SecretBox(parseKey(fs.readFileSync(file, 'utf8'), file))
  }
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 })
  const key = randomBytes(32)
  fs.writeFileSync(file, key.toString('base64') + '\n', { mode: 0o600, flag: 'wx' })
  return new SecretBox(key)
}

/**
 * Ties the database to this key (first control to start records its fingerprint), refuses a
 * different key, and seals any secret stored in plain text by an older FaDO.
 */
export async function adoptSecretsKey(db: Queryable, box: SecretBox): Promise<{ sealed: number }> {
  const recorded = await setMetaOnce(db, FINGERPRINT_KEY, box.fingerprint)
  if (recorded !== box.fingerprint)
    throw new ConfigError(
      `this database's storage secrets were encrypted with another key (fingerprint ${recorded}, this process has ${box.fingerprint}): give every control process the same FADO_SECRETS_KEY or secrets.key`,
    )
  const rows = await db.query<{ storage_id: number; secret_key: string }>(
    `SELECT storage_id, secret_key FROM storage_deployments WHERE secret_key NOT LIKE '${PREFIX}%'`,
  )
  for (const row of rows) {
    await db.query('UPDATE storage_deployments SET secret_key = $2 WHERE storage_id = $1', [
      row.storage_id,
      box.seal(row.secret_key),
    ])
  }
  return { sealed: rows.length }
}
