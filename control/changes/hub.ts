/**
 * The one place where "this changed" turns into what must follow: reconcile these buckets (or
 * only some of their objects), publish a route snapshot, refresh the storage change feed.
 *
 * Writes go through `commit()`: the transaction runs with a database handle only, its callback
 * says what it changed, and the consequences are carried out after COMMIT — never for a
 * transaction that rolled back, and never inside it (storage calls refuse to run in a
 * transaction anyway). Other control processes on the same PostgreSQL are told by NOTIFY and do
 * the same on their side (their reconcilers, their published snapshot); a process that lost the
 * notification channel catches up with a full resync when it is back.
 */
import { randomUUID } from 'node:crypto'
import type { Db, Queryable } from '../db/client.js'
import type { Logger } from '../../edge/log.js'

export interface Change {
  /** Buckets to reconcile with a full pass; 'all' = every bucket. */
  reconcile?: readonly number[] | 'all' | undefined
  /**
   * Where replicas belong may have changed for any bucket (a deployment tracked, a cluster's
   * zones): every bucket's plan is checked, and only those it changes get a full pass.
   */
  replan?: boolean | undefined
  /** Objects written or deleted (through FaDO or on a master): reconcile just these keys. */
  objects?: readonly { bucketId: number; keys: readonly string[] }[] | undefined
  /** Routes may differ (buckets, replica status, FaaS, clusters, settings): publish. */
  routes?: boolean | undefined
  /**
   * Storage deployments were tracked or untracked, or master buckets created or removed: refresh
   * the change feed (which deployments it listens to, and for which events).
   */
  storage?: boolean | undefined
  /** API tokens were revoked: verify every token afresh. */
  tokens?: boolean | undefined
}

export interface ChangeTargets {
  reconcile(bucketId: number, keys?: Iterable<string>): void
  reconcileAll(): Promise<void>
  /** A full pass for each bucket whose replica plan changed (Reconciler.replanAll). */
  replanAll(): Promise<void>
  /** Publishes and resolves once the snapshot reflects the database. */
  publish(): Promise<unknown>
  /** Publishes shortly (bucket sizes moved), without waiting. */
  publishSoon(): void
  refreshStorage(): Promise<void>
  forgetTokens(): void
}

const CHANNEL = 'fado_changes'
/** NOTIFY payloads are limited to 8000 bytes: long bucket lists become 'all'. */
const MAX_LISTED_BUCKETS = 200

interface Message {
  from: string
  reconcile?: number[] | 'all'
  replan?: boolean
  routes?: boolean
  storage?: boolean
  tokens?: boolean
}

export class ChangeHub {
  readonly #id = randomUUID()
  #targets: ChangeTargets | undefined
  #stopListening: (() => Promise<void>) | undefined

  constructor(
    private readonly db: Db,
    private readonly log: Logger,
  ) {}

  /** Wires the components changes lead to (they are built after this object). */
  connect(targets: ChangeTargets): void {
    this.#targets = targets
  }

  /** Starts hearing other control processes' changes. */
  async listen(): Promise<void> {
    this.#stopListening = await this.db.listen(
      CHANNEL,
      (payload) => this.#fromPeer(payload),
      () => {
        this.log.info('change notifications reconnected; resynchronising')
        void this.#apply({ reconcile: 'all', routes: true, storage: true, tokens: true })
      },
    )
  }

  async stop(): Promise<void> {
    await this.#stopListening?.()
  }

  /**
   * Runs `fn` in a transaction; what it reports through `changed` is carried out after COMMIT,
   * here and in every other control process. Resolves after a needed publish, so an answer sent
   * after commit() already matches the snapshot edges get.
   */
  async commit<T>(
    fn: (tx: Queryable, changed: (change: Change) => void) => Promise<T>,
  ): Promise<T> {
    const pending: Change[] = []
    const result = await this.db.transaction((tx) => fn(tx, (c) => pending.push(c)))
    await this.record(merge(pending))
    return result
  }

  /** Carries out a change made outside commit() (a storage call, a replica status). */
  async record(change: Change): Promise<void> {
    if (isEmpty(change)) return
    await this.#apply(change)
    const reconcile =
      change.reconcile === 'all' ||
      (change.reconcile && change.reconcile.length > MAX_LISTED_BUCKETS)
        ? 'all'
        : change.reconcile && [...change.reconcile]
    // Object changes are carried out here (their index rows, their copies); peers need not act.
    const message: Message = {
      from: this.#id,
      ...(reconcile && reconcile.length > 0 ? { reconcile } : {}),
      ...(change.replan ? { replan: true } : {}),
      ...(change.routes ? { routes: true } : {}),
      ...(change.storage ? { storage: true } : {}),
      ...(change.tokens ? { tokens: true } : {}),
    }
    if (Object.keys(message).length > 1) {
      await this.db
        .notify(CHANNEL, JSON.stringify(message))
        .catch((err: unknown) =>
          this.log.warn('could not tell other control processes about a change', { error: err }),
        )
    }
  }

  #fromPeer(payload: string): void {
    let message: Message
    try {
      message = JSON.parse(payload) as Message
    } catch {
      return
    }
    if (message.from === this.#id) return
    void this.#apply({
      reconcile: message.reconcile,
      replan: message.replan,
      routes: message.routes,
      storage: message.storage,
      tokens: message.tokens,
    })
  }

  async #apply(change: Change): Promise<void> {
    const targets = this.#targets
    if (!targets) return
    try {
      if (change.tokens) targets.forgetTokens()
      if (change.storage) await targets.refreshStorage()
      if (change.reconcile === 'all') await targets.reconcileAll()
      else {
        for (const id of change.reconcile ?? []) targets.reconcile(id)
        if (change.replan) await targets.replanAll()
      }
      for (const { bucketId, keys } of change.objects ?? []) targets.reconcile(bucketId, keys)
      if (change.objects?.length && !change.routes) targets.publishSoon()
      if (change.routes) await targets.publish()
    } catch (err) {
      // The periodic passes repair what is missed here; the change itself is committed.
      this.log.warn('could not act on a change yet; the periodic pass will', { error: err })
    }
  }
}

const isEmpty = (c: Change): boolean =>
  !c.routes &&
  !c.storage &&
  !c.tokens &&
  !c.objects?.length &&
  !c.replan &&
  (c.reconcile === undefined || (c.reconcile !== 'all' && c.reconcile.length === 0))

/** Several changes of one transaction as one. */
export function merge(changes: readonly Change[]): Change {
  const out: Change = {}
  const ids = new Set<number>()
  let all = false
  for (const c of changes) {
    if (c.reconcile === 'all') all = true
    else for (const id of c.reconcile ?? []) ids.add(id)
    if (c.replan) out.replan = true
    if (c.routes) out.routes = true
    if (c.storage) out.storage = true
    if (c.tokens) out.tokens = true
    if (c.objects) out.objects = [...(out.objects ?? []), ...c.objects]
  }
  if (all) out.reconcile = 'all'
  else if (ids.size > 0) out.reconcile = [...ids]
  return out
}
