import { describe, expect, it } from 'vitest'
import { InvocationStats, quantileMs } from '../../edge/invocation-stats.js'
import { MAX_ZONES, SLOT_MS, SLOTS, TrafficSeries } from './traffic.js'

describe('InvocationStats', () => {
  it('counts per bucket and cluster, with latency quantiles to within a bucket, and drains', () => {
    const stats = new InvocationStats()
    for (let i = 1; i <= 100; i++)
      stats.invocation({ bucket: 'img', cluster: 'hpc', code: i === 100 ? 502 : 200 }, i / 1000)
    stats.invocation({ bucket: 'img', cluster: 'cc1', code: 200 }, 0.005)
    const [hpc, cc1] = stats.drain()
    expect(hpc).toMatchObject({ bucket: 'img', cluster: 'hpc', count: 100, errors: 1 })
    expect(cc1).toMatchObject({ cluster: 'cc1', count: 1 })
    // True p50 = 50 ms, p99 = 99 ms: read back within one bucket (≤ 26 % above).
    expect(quantileMs(hpc!.hist, 0.5)).toBeGreaterThanOrEqual(50)
    expect(quantileMs(hpc!.hist, 0.5)).toBeLessThanOrEqual(63.1)
    expect(quantileMs(hpc!.hist, 0.99)).toBeGreaterThanOrEqual(99)
    expect(quantileMs(hpc!.hist, 0.99)).toBeLessThanOrEqual(125.9)
    expect(stats.drain()).toEqual([])
    expect(
      quantileMs(
        hpc!.hist.map(() => 0),
        0.5,
      ),
    ).toBeNull()
  })
})

describe('TrafficSeries', () => {
  it('keeps 15 minutes of 10-second slots per bucket and cluster; the backlog is a level', () => {
    let now = 1_000_000 * SLOT_MS
    const series = new TrafficSeries(() => now)
    const stats = new InvocationStats()
    for (let i = 0; i < 30; i++)
      stats.invocation({ bucket: 'img', cluster: 'hpc', code: 200 }, 0.01)
    stats.invocation({ bucket: '', cluster: '', code: 404 }, 0.001)
    series.add(stats.drain())
    series.pending('img', 'm2', 5, 500)
    series.pending('img', 'm3', 2, 200)
    now += SLOT_MS
    series.pending('img', 'm2', -5, -500)
    series.replicated('img', 'm2', 1.5)
    now += 3 * SLOT_MS
    const view = series.view()
    expect(view.slot_seconds).toBe(10)
    const img = view.buckets.img!
    expect(img.invocations).toHaveLength(SLOTS)
    expect(img.invocations.slice(-5)).toEqual([30, 0, 0, 0, 0])
    expect(img.p50_ms.slice(-5)).toEqual([10, null, null, null, null])
    // The slot's highest (from where it started), then the level it ended at, carried on.
    expect(img.backlog.slice(-5)).toEqual([7, 7, 2, 2, 2])
    expect(img.lag_max_s.slice(-5)).toEqual([null, 1.5, null, null, null])
    expect(Object.keys(view.clusters)).toEqual(['hpc'])
    expect(Object.keys(view.buckets)).toEqual(['img']) // the refusal is not charted
    now += SLOTS * SLOT_MS
    expect(series.view().buckets).toEqual({}) // older than 15 minutes: gone
  })

  it('counts demand per bucket and edge zone over a window: invocations, remote ones, bytes, rate', () => {
    let now = 2_000_000 * SLOT_MS
    const series = new TrafficSeries(() => now)
    const stats = new InvocationStats()
    const invoke = (zone: string | undefined, cluster: string, remote: boolean, n: number) => {
      for (let i = 0; i < n; i++)
        stats.invocation({ bucket: 'img', cluster, code: 200, zone, remote, bytes: 100 }, 0.01)
    }
    invoke('eu', 'iad', true, 40)
    invoke('eu', 'fra', false, 20)
    invoke('us', 'iad', false, 30)
    invoke(undefined, 'iad', false, 5)
    series.add(stats.drain())
    now += 20 * SLOT_MS // 200 s later: still inside a 300 s window
    invoke('eu', 'iad', true, 60)
    series.add(stats.drain())
    expect(series.demand('img', 300)).toEqual([
      { zone: 'eu', invocations: 120, remote: 100, bytes: 12_000, per_min: 24 },
      { zone: 'us', invocations: 30, remote: 0, bytes: 3_000, per_min: 6 },
      { zone: null, invocations: 5, remote: 0, bytes: 500, per_min: 1 },
    ])
    // A 60 s window holds only the newest figures.
    expect(series.demand('img', 60)).toEqual([
      { zone: 'eu', invocations: 60, remote: 60, bytes: 6_000, per_min: 60 },
    ])
    expect(series.demand('other')).toEqual([])
  })

  it('keeps at most MAX_ZONES zones a bucket a slot; the rest count as no zone', () => {
    const series = new TrafficSeries(() => 3_000_000 * SLOT_MS)
    const stats = new InvocationStats()
    for (let z = 0; z < MAX_ZONES + 10; z++)
      stats.invocation({ bucket: 'img', cluster: 'iad', code: 200, zone: `z${z}` }, 0.01)
    series.add(stats.drain())
    const demand = series.demand('img')
    expect(demand).toHaveLength(MAX_ZONES + 1)
    expect(demand.find((d) => d.zone === null)?.invocations).toBe(10)
  })
})
