/**
 * The thread lib.ts's watchPeakMemory starts: samples a process tree's memory while a bench step
 * runs, so that reading /proc (smaps_rollup walks every page table) never holds the bench's own
 * thread, which times requests meanwhile. Peaks go to the shared array: [RSS, PSS], MB.
 */
import { workerData } from 'node:worker_threads'
import { memoryOf, rssOf } from './lib.js'

const { pid, peaks } = workerData as { pid: number; peaks: Int32Array }
let tick = 0
setInterval(() => {
  Atomics.store(peaks, 0, Math.max(Atomics.load(peaks, 0), rssOf(pid)))
  // PSS every 2 s: each read costs ~20 ms of CPU during a pass, on a host of two cores.
  if (tick++ % 8 === 0)
    Atomics.store(peaks, 1, Math.max(Atomics.load(peaks, 1), memoryOf(pid).pss_mb))
}, 250)
