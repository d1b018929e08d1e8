/**
 * The listing worker (listing-worker.ts starts it, the build writes it as dist/listing-worker.mjs):
 * lists a pass's master and replicas, cuts the listings into steps and digests them
 * (range-listing.ts), posts each step's counts and digests, and holds its entries until control
 * asks for them or lets them go — listing ahead while it holds fewer than `heldEntries`.
 *
 * A full pass is the safety net behind the change events, never urgent: this thread runs below
 * normal priority (on Linux the nice value is a thread's own), so on a busy host the admin API,
 * the database's thread and the edges get a core before the pass's listing does.
 */
import os from 'node:os'
import { parentPort, workerData } from 'node:worker_threads'
import { S3Storage } from '../storage/s3.js'
import {
  entriesOf,
  listRanges,
  MasterListingError,
  summarize,
  type ListedStep,
} from './range-listing.js'
import {
  toWire,
  type ListingWorkerData,
  type FromWorker,
  type ToWorker,
} from './listing-worker-wire.js'

const port = parentPort
if (!port) throw new Error('the listing worker runs in a worker thread')
try {
  os.setPriority(0, os.constants.priority.PRIORITY_BELOW_NORMAL)
} catch {
  // Where a thread cannot lower itself the pass runs at normal priority, as before.
}
const data = workerData as ListingWorkerData
const post = (message: FromWorker) => port.postMessage(message)

const held = new Map<number, ListedStep>()
let heldEntries = 0
let wake: (() => void) | undefined
const weight = (step: ListedStep) => {
  const { master, replica } = entriesOf(step)
  return master.length + replica.length
}

port.on('message', (message: ToWorker) => {
  const step = held.get(message.id)
  if (message.type === 'want') {
    post({ type: 'entries', id: message.id, ...entriesOf(step) })
  } else if (step) {
    held.delete(message.id)
    heldEntries -= weight(step)
    wake?.()
  }
})

const listing = (spec: ListingWorkerData['master']) =>
  new S3Storage(spec.conn, spec.options).listPages(data.bucket)

try {
  for await (const step of listRanges(listing(data.master), data.replicas.map(listing))) {
    held.set(step.id, step)
    heldEntries += weight(step)
    const summary = summarize(step)
    post({
      type: 'step',
      step:
        summary.type === 'replica-failed' ? { ...summary, error: toWire(summary.error) } : summary,
    })
    while (heldEntries > data.heldEntries) await new Promise<void>((resolve) => (wake = resolve))
  }
  post({ type: 'end' })
} catch (err) {
  post({
    type: 'failed',
    master: err instanceof MasterListingError,
    error: toWire(err instanceof MasterListingError ? (err.cause ?? err) : err),
  })
}
