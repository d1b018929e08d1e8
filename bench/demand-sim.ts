/**
 * Replicas on demand, simulated: the real planner (control/replication/demand-plan.ts) driven
 * second by second with `bench:demand`'s workload (bench/demand-workload.ts), no servers. What it
 * is for: choosing `min_rate_per_min` and `size_unit_bytes` for a workload before running the
 * 20-minute benchmark — it prints, per setting, the local share and the replica bytes stored
 * against a replica in every zone, over the whole run and settled (outside the first 120 s of
 * each phase), the mean of REPS runs. What it leaves out: the edges' report delay, the planner's
 * period and the copy's time are fixed (REPORT_S, PLAN_EVERY_S, SYNC_S); latency is not modelled.
 *
 *   npm run bench:demand-sim   (PHASE_S=300 RATE=15 ZIPF=1.3 WINDOW_S=30 TTL_S=60 MAX_REPLICAS=2
 *                               REPS=3 MIN_RATES=6,8,10,12,16,20 UNITS_MIB=0.5,1,2,4
 *                               REPORT_S=3 PLAN_EVERY_S=5 SYNC_S=6)
 * Prints a Markdown table, cheapest first, and what a placement with hindsight could do: per phase,
 * the fewest replica bytes (a fixed set for the phase, chosen knowing the popularity) that serve a
 * given share locally — the frontier no online rule can beat.
 */
import {
  DEMAND_DEFAULTS,
  planDemand,
  type DemandReplica,
  type DemandSettings,
} from '../control/replication/demand-plan.js'
import {
  BUCKETS,
  buckets,
  ranking,
  ZONES,
  zipfPicker,
  zipfWeights,
  type Zone,
} from './demand-workload.js'

const PHASE_S = Number(process.env.PHASE_S ?? 300)
const RATE = Number(process.env.RATE ?? 15)
const ZIPF = Number(process.env.ZIPF ?? 1.3)
const WINDOW_S = Number(process.env.WINDOW_S ?? 30)
const TTL_S = Number(process.env.TTL_S ?? 60)
const MAX_REPLICAS = Number(process.env.MAX_REPLICAS ?? 2)
const REPS = Number(process.env.REPS ?? 3)
const MIN_RATES = (process.env.MIN_RATES ?? '6,8,10,12,16,20').split(',').map(Number)
const UNITS_MIB = (process.env.UNITS_MIB ?? '0.5,1,2,4').split(',').map(Number)
/**
 * Seconds from an invocation to control having heard of it, between planner rounds, and from a
 * decision to a synced copy (the defaults: FaDO's 5 s reports and rounds, a MiB-sized copy).
 */
const REPORT_S = wholeSeconds('REPORT_S', 3, 0)
const SYNC_S = wholeSeconds('SYNC_S', 6, 0)
const PLAN_EVERY_S = wholeSeconds('PLAN_EVERY_S', 5, 1)
/** A delay from the environment: the simulation steps in whole seconds. */
function wholeSeconds(name: string, fallback: number, min: number): number {
  const value = Number(process.env[name] ?? fallback)
  if (!Number.isInteger(value) || value < min)
    throw new Error(`${name} must be a whole number of seconds ≥ ${min}, got ${process.env[name]}`)
  return value
}
const SETTLE_S = 120

const storageOf = (zone: Zone) => ZONES.indexOf(zone) + 1
const storages = ZONES.map((z) => ({ storage_id: storageOf(z), cluster_id: storageOf(z) }))
const clusters = ZONES.map((z) => ({ cluster_id: storageOf(z), zones: [z] }))
const faasClusters = new Set(clusters.map((c) => c.cluster_id))
/** Replica bytes of a replica in every zone (strategy `all`). */
const everywhere = 2 * buckets.reduce((n, b) => n + b.bytes, 0)

function run(settings: DemandSettings) {
  const pick = zipfPicker(ZIPF)
  // Per second: per bucket and zone, invocations and those served outside the zone.
  const seconds: { all: number; remote: number }[][][] = []
  const replicas = buckets.map(() => new Map<Zone, DemandReplica & { ready_at: number }>())
  const changes = buckets.map(() => [] as number[])
  const tally = { n: 0, local: 0, settledN: 0, settledLocal: 0 }
  const stored = { sum: 0, n: 0, settledSum: 0, settledN: 0 }
  const settled = (t: number) => t % PHASE_S >= SETTLE_S
  for (let t = 0; t < 2 * PHASE_S; t++) {
    const orders = ZONES.map((z) => ranking(z, t >= PHASE_S))
    const second = buckets.map(() => ZONES.map(() => ({ all: 0, remote: 0 })))
    for (const [zi, zone] of ZONES.entries())
      for (let i = 0; i < RATE; i++) {
        const name = pick(orders[zi] as string[])
        const b = buckets.findIndex((x) => x.name === name)
        const copy = replicas[b]?.get(zone)
        const local = buckets[b]?.master === zone || (copy !== undefined && copy.ready_at <= t)
        const cell = second[b]?.[zi] as { all: number; remote: number }
        cell.all++
        if (!local) cell.remote++
        tally.n++
        if (local) tally.local++
        if (settled(t)) {
          tally.settledN++
          if (local) tally.settledLocal++
        }
      }
    seconds.push(second)
    if (t % PLAN_EVERY_S !== 0) continue
    const bytes = buckets.reduce((n, b, i) => n + (replicas[i]?.size ?? 0) * b.bytes, 0)
    stored.sum += bytes
    stored.n++
    if (settled(t)) {
      stored.settledSum += bytes
      stored.settledN++
    }
    const heard = t - REPORT_S
    if (heard <= 0) continue
    for (let b = 0; b < BUCKETS; b++) {
      const bucket = buckets[b] as (typeof buckets)[number]
      const mine = replicas[b] as Map<Zone, DemandReplica & { ready_at: number }>
      const demand = ZONES.map((zone, zi) => {
        let invocations = 0
        let remote = 0
        for (let s = Math.max(0, heard - settings.window_s); s < heard; s++) {
          invocations += seconds[s]?.[b]?.[zi]?.all ?? 0
          remote += seconds[s]?.[b]?.[zi]?.remote ?? 0
        }
        return { zone, invocations, remote }
      })
      const now = t * 1000
      const plan = planDemand({
        bucket: {
          name: bucket.name,
          storage_id: storageOf(bucket.master),
          zones: [],
          total_bytes: bucket.bytes,
          demand: settings,
        },
        storages,
        clusters,
        faasClusters,
        copies: [storageOf(bucket.master), ...[...mine.values()].map((r) => r.storage_id)],
        demandReplicas: [...mine.values()],
        demand,
        changesLastHour: (changes[b] as number[]).filter((at) => at > now - 3_600_000).length,
        now,
      })
      for (const r of plan.refresh)
        for (const copy of mine.values()) if (copy.storage_id === r) copy.last_demand_at = now
      for (const r of plan.remove) {
        mine.delete(r.zone as Zone)
        changes[b]?.push(now)
      }
      for (const a of plan.add) {
        const zone = a.zone as Zone
        mine.set(zone, {
          storage_id: a.storage_id,
          zone,
          added_at: now,
          last_demand_at: now,
          ready_at: t + SYNC_S,
        })
        changes[b]?.push(now)
      }
    }
  }
  return {
    local: tally.local / tally.n,
    settledLocal: tally.settledLocal / Math.max(1, tally.settledN),
    bytes: stored.sum / stored.n / everywhere,
    settledBytes: stored.settledSum / Math.max(1, stored.settledN) / everywhere,
  }
}

const rows = []
for (const minRate of MIN_RATES)
  for (const unitMib of UNITS_MIB) {
    const settings: DemandSettings = {
      ...DEMAND_DEFAULTS,
      min_rate_per_min: minRate,
      size_unit_bytes: unitMib * 1024 ** 2,
      window_s: WINDOW_S,
      ttl_s: TTL_S,
      max_replicas: MAX_REPLICAS,
    }
    const runs = Array.from({ length: REPS }, () => run(settings))
    const mean = (f: (r: (typeof runs)[number]) => number) =>
      runs.reduce((n, r) => n + f(r), 0) / runs.length
    rows.push({
      minRate,
      unitMib,
      local: mean((r) => r.local),
      settledLocal: mean((r) => r.settledLocal),
      bytes: mean((r) => r.bytes),
      settledBytes: mean((r) => r.settledBytes),
      spread: Math.max(...runs.map((r) => r.local)) - Math.min(...runs.map((r) => r.local)),
    })
  }
rows.sort((a, b) => a.bytes - b.bytes)
const pct = (x: number) => `${(x * 100).toFixed(1)} %`
console.log(
  `PHASE_S=${PHASE_S} RATE=${RATE}/s per zone, ZIPF=${ZIPF}, window ${WINDOW_S} s, TTL ${TTL_S} s, max ${MAX_REPLICAS}; heard after ${REPORT_S} s, planned every ${PLAN_EVERY_S} s, synced after ${SYNC_S} s; ${REPS} runs each`,
)
console.log(
  '| min_rate_per_min | size unit | local (whole run) | spread | local (settled) | bytes vs every zone | settled |',
)
console.log('|---|---|---|---|---|---|---|')
for (const r of rows)
  console.log(
    `| ${r.minRate} | ${r.unitMib} MiB | ${pct(r.local)} | ${pct(r.spread)} | ${pct(r.settledLocal)} | ${pct(r.bytes)} | ${pct(r.settledBytes)} |`,
  )

/**
 * Hindsight: per phase, the largest expected local share for each budget of replica bytes (0/1
 * knapsack over (zone, bucket) copies, in units of the smallest bucket), and the fewest bytes for
 * a share.
 */
function hindsight(shifted: boolean) {
  const { weights, total } = zipfWeights(ZIPF)
  const unit = Math.min(...buckets.map((b) => b.bytes))
  let base = 0
  const items: { share: number; units: number }[] = []
  for (const zone of ZONES)
    for (const [k, name] of ranking(zone, shifted).entries()) {
      const b = buckets.find((x) => x.name === name) as (typeof buckets)[number]
      const share = (weights[k] as number) / total / ZONES.length
      if (b.master === zone) base += share
      else items.push({ share, units: b.bytes / unit })
    }
  const cap = everywhere / unit
  const best = new Float64Array(cap + 1)
  for (const it of items)
    for (let c = cap; c >= it.units; c--)
      best[c] = Math.max(best[c] as number, (best[c - it.units] as number) + it.share)
  const bytesFor = (share: number) => {
    for (let c = 0; c <= cap; c++) if (base + (best[c] as number) >= share) return c / cap
    return 1
  }
  return { base, bytesFor }
}
console.log('\nWith hindsight (a fixed set of copies per phase, knowing its popularity):')
console.log('| phase | local with no copies | bytes vs every zone for 85 % | 90 % | 95 % |')
console.log('|---|---|---|---|---|')
for (const shifted of [false, true]) {
  const h = hindsight(shifted)
  console.log(
    `| ${shifted ? 'after the shift' : 'before the shift'} | ${pct(h.base)} | ${pct(h.bytesFor(0.85))} | ${pct(h.bytesFor(0.9))} | ${pct(h.bytesFor(0.95))} |`,
  )
}
