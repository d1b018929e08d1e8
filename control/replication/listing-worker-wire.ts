/** What control and its listing worker say to each other (listing-worker.ts, listing-worker-main.ts). */
import { StorageError, type StorageErrorKind } from '../storage/errors.js'
import type { StorageConnection } from '../storage/types.js'
import type { Step, StepEntries } from './range-listing.js'

/** Entries the worker holds for control before it stops listing ahead (about one range ahead). */
export const HELD_ENTRIES = 16_000

export interface ListingWorkerData {
  bucket: string
  master: StorageSpec
  replicas: StorageSpec[]
  /** Entries held before it stops listing ahead (HELD_ENTRIES). */
  heldEntries: number
}

/** A storage deployment as the worker connects to it (only to list). */
export interface StorageSpec {
  conn: StorageConnection
  options: { timeoutMs: number }
}

/** An error as it crosses threads: its message, and its kind when the storage said so. */
export interface WireError {
  message: string
  kind?: StorageErrorKind | undefined
}

export type ToWorker = { type: 'want'; id: number } | { type: 'release'; id: number }

export type FromWorker =
  | { type: 'step'; step: Step }
  | ({ type: 'entries'; id: number } & StepEntries)
  | { type: 'end' }
  | { type: 'failed'; master: boolean; error: WireError }

export function toWire(err: unknown): WireError {
  return {
    message: err instanceof Error ? err.message : String(err),
    ...(err instanceof StorageError ? { kind: err.kind } : {}),
  }
}

export function fromWire(err: WireError): Error {
  return err.kind === undefined ? new Error(err.message) : new StorageError(err.message, err.kind)
}
