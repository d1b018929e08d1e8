/**
 * What replication reports as it works, for metrics (observe/metrics.ts implements it): objects
 * found to differ on a replica and not yet copied (the backlog), each copy's lag, and failures.
 * Replication code calls it; it never waits on it.
 */
export interface ReplicationObserver {
  /** The backlog of `bucket` on `storage` grew (or, negative, shrank) by these objects/bytes. */
  pending(bucket: string, storage: string, objects: number, bytes: number): void
  /** An object reached the replica, `lagSeconds` after FaDO saw the change on the master. */
  replicated(bucket: string, storage: string, lagSeconds: number): void
  /** A replica failed to sync (a pass, or a change). */
  failed(bucket: string, storage: string): void
  /** Objects of a replica changed or added behind FaDO's back were repaired. */
  repaired(bucket: string, storage: string, objects: number): void
}

export const ignoreReplication: ReplicationObserver = {
  pending: () => {},
  replicated: () => {},
  failed: () => {},
  repaired: () => {},
}

/**
 * The backlog of one replica during one sync, kept in step with the observer: what was found and
 * not finished is taken back out when the sync ends, however it ends.
 */
export class Backlog {
  #objects = 0
  #bytes = 0

  constructor(
    private readonly observer: ReplicationObserver,
    private readonly bucket: string,
    private readonly storage: string,
    /** When FaDO saw what this sync copies (ms, Date.now clock). */
    private readonly seenAt: number,
  ) {}

  found(bytes: number): void {
    this.#objects++
    this.#bytes += bytes
    this.observer.pending(this.bucket, this.storage, 1, bytes)
  }

  /** One found object is done: copied (`replicated`), deleted or found equal after all. */
  done(bytes: number, replicated: boolean): void {
    this.#objects--
    this.#bytes -= bytes
    this.observer.pending(this.bucket, this.storage, -1, -bytes)
    if (replicated)
      this.observer.replicated(this.bucket, this.storage, (Date.now() - this.seenAt) / 1000)
  }

  /** The sync is over: whatever is still counted was not done by it. */
  close(): void {
    if (this.#objects !== 0 || this.#bytes !== 0)
      this.observer.pending(this.bucket, this.storage, -this.#objects, -this.#bytes)
    this.#objects = 0
    this.#bytes = 0
  }
}
