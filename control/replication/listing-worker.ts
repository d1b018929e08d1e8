/**
 * A pass's steps listed, parsed and digested in a worker thread (listing-worker-main.ts): control's
 * thread gets each step's counts and digests, and a step's entries only where a digest differs, so
 * a pass over a large unchanged bucket leaves it free for the API. The worker holds one deployment
 * credential per listing, for as long as the pass; it is stopped when the pass ends, and a worker
 * that fails or exits fails the pass (retried as any pass is).
 */
import { Worker } from 'node:worker_threads'
import { builtScript } from '../../edge/built-script.js'
import type { S3Storage } from '../storage/s3.js'
import {
  fromWire,
  HELD_ENTRIES,
  type FromWorker,
  type ListingWorkerData,
  type StorageSpec,
  type ToWorker,
  type WireError,
} from './listing-worker-wire.js'
import { MasterListingError, type RangeFeed, type Step, type StepEntries } from './range-listing.js'

const spec = (storage: S3Storage): StorageSpec => ({
  conn: storage.conn,
  options: { timeoutMs: storage.timeoutMs },
})

export function workerFeed(
  bucket: string,
  master: S3Storage,
  replicas: readonly S3Storage[],
  heldEntries = HELD_ENTRIES,
): RangeFeed {
  const workerData: ListingWorkerData = {
    bucket,
    master: spec(master),
    replicas: replicas.map(spec),
    heldEntries,
  }
  const worker = new Worker(builtScript('listing-worker.mjs'), {
    workerData,
    // As lean as control's own thread (its bin starts node with a 2 MB semi-space), and an old
    // generation kept near what the worker holds (a few pages per listing and the steps control
    // has not let go: ~8 MB and 2 MB per replica), so V8 collects it before it grows far.
    resourceLimits: {
      maxYoungGenerationSizeMb: 6,
      maxOldGenerationSizeMb: 48 + 4 * replicas.length,
    },
  })
  worker.unref()
  const steps: Step[] = []
  /** The worker has posted its last step (it answers for their entries until closed). */
  let listed = false
  let closed = false
  let failure: Error | undefined
  let wakeReader: (() => void) | undefined
  const wanted = new Map<number, { resolve(e: StepEntries): void; reject(err: Error): void }>()
  const send = (message: ToWorker) => {
    if (!closed && !failure) worker.postMessage(message)
  }
  const fail = (err: Error) => {
    failure ??= err
    for (const w of wanted.values()) w.reject(failure)
    wanted.clear()
    wakeReader?.()
  }

  worker.on('message', (message: FromWorker) => {
    switch (message.type) {
      case 'step':
        steps.push(
          message.step.type === 'replica-failed'
            ? { ...message.step, error: fromWire(message.step.error as WireError) }
            : message.step,
        )
        break
      case 'entries':
        wanted.get(message.id)?.resolve({ master: message.master, replica: message.replica })
        wanted.delete(message.id)
        return
      case 'end':
        listed = true
        break
      case 'failed': {
        const cause = fromWire(message.error)
        fail(message.master ? new MasterListingError(cause.message, { cause }) : cause)
        break
      }
    }
    wakeReader?.()
  })
  worker.on('error', (err) => fail(err))
  worker.on('exit', (code) => {
    if (!closed) fail(new Error(`the listing worker stopped (exit code ${code})`))
  })

  const entries = (id: number) =>
    new Promise<StepEntries>((resolve, reject) => {
      if (failure) return reject(failure)
      wanted.set(id, { resolve, reject })
      send({ type: 'want', id })
    })

  return {
    async *[Symbol.asyncIterator]() {
      for (;;) {
        const step = steps.shift()
        if (step) {
          yield step
          continue
        }
        if (failure) throw failure
        if (listed) return
        await new Promise<void>((resolve) => (wakeReader = resolve))
        wakeReader = undefined
      }
    },
    entries,
    release: (id) => send({ type: 'release', id }),
    close: async () => {
      closed = true
      await worker.terminate()
    },
  }
}
