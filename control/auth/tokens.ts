/**
 * API tokens with scopes. The bootstrap admin token (flag, environment or generated file) always
 * works; every other token is created through the API or `fado token create`, shown once, and
 * stored only as its SHA-256. A verified token is remembered for a few seconds so the API keeps
 * answering edges while the database is briefly away; a revoked token is forgotten at once here
 * and, through ChangeHub, in every other control process.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { Queryable } from '../db/client.js'
import { findTokenByHash, touchToken, type Scope } from '../db/api-tokens.js'

export interface Principal {
  scope: Scope
  /** null for the bootstrap admin token. */
  token_id: number | null
  /** A notify token's storage deployment (alias): the only one whose events it may deliver. */
  storage_alias: string | null
  /** An agent token's cluster: the only one whose work it may take and report. */
  cluster_id: number | null
}

const CACHE_MS = 10_000

export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex')

/** A new secret: the scope in clear (for people reading configs), then 256 random bits. */
export const newTokenSecret = (scope: Scope): string =>
  `fado_${scope}_${randomBytes(32).toString('base64url')}`

const digest = (value: string): Buffer => createHash('sha256').update(value).digest()

/** Constant-time comparison, independent of where the strings differ and of their lengths. */
export function tokenMatches(expected: string, presented: string): boolean {
  return timingSafeEqual(digest(expected), digest(presented))
}

export class TokenVerifier {
  readonly #cache = new Map<string, { principal: Principal; at: number }>()

  constructor(
    private readonly db: Queryable,
    private readonly bootstrapAdmin: string,
    private readonly now: () => number = Date.now,
  ) {}

  async verify(presented: string): Promise<Principal | undefined> {
    if (tokenMatches(this.bootstrapAdmin, presented))
      return { scope: 'admin', token_id: null, storage_alias: null, cluster_id: null }
    const hash = hashToken(presented)
    const cached = this.#cache.get(hash)
    if (cached && this.now() - cached.at < CACHE_MS) return cached.principal
    const row = await findTokenByHash(this.db, hash)
    if (!row) {
      this.#cache.delete(hash)
      return undefined
    }
    const principal: Principal = {
      scope: row.scope,
      token_id: row.token_id,
      storage_alias: row.storage_alias,
      cluster_id: row.cluster_id,
    }
    if (this.#cache.size > 10_000) this.#cache.clear()
    this.#cache.set(hash, { principal, at: this.now() })
    await touchToken(this.db, row.token_id).catch(() => {})
    return principal
  }

  /** Tokens were revoked (here or in another control process): check each one again. */
  forget(): void {
    this.#cache.clear()
  }
}
