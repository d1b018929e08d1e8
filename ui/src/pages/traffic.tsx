/**
 * Traffic: the last 15 minutes, live — per bucket and per cluster, invocations per second and
 * p50/p99 latency at the edge (every edge: standalone's own and each `fado edge` that reports),
 * and per bucket the replication backlog and lag (what thesis figures 7.5/7.6 and C.1 show).
 */
import { useEffect, useState } from 'preact/hooks'
import { send } from '../api.js'
import { Empty, formatTime, PageHeader } from '../components/common.js'
import { DataTable } from '../components/table.js'
import { LineChart } from '../components/chart.js'
import type { TrafficView } from '../types.js'

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0)
const peak = (xs: (number | null)[]) => Math.max(0, ...xs.map((v) => v ?? 0))
const fmt = (v: number) => (v >= 100 ? Math.round(v) : Math.round(v * 10) / 10)

function TrafficCharts(props: { series: TrafficView['clusters'][string]; slotSeconds: number }) {
  const { series: s, slotSeconds } = props
  const perSecond = s.invocations.map((n) => n / slotSeconds)
  const total = sum(s.invocations)
  return (
    <>
      <LineChart
        title="Invocations/s"
        unit="/s"
        slotSeconds={slotSeconds}
        caption={`${total} invocation${total === 1 ? '' : 's'} in 15 min, peak ${fmt(peak(perSecond))}/s${sum(s.errors) ? `, ${sum(s.errors)} failed` : ''}`}
        series={[{ name: 'invocations/s', values: perSecond, color: '#2a6fdb' }]}
      />
      <LineChart
        title="Latency"
        unit="ms"
        slotSeconds={slotSeconds}
        caption={
          total === 0
            ? 'no invocations'
            : `p99 up to ${fmt(peak(s.p99_ms))} ms, p50 up to ${fmt(peak(s.p50_ms))} ms`
        }
        series={[
          { name: 'p50', values: s.p50_ms, color: '#1b7f3b' },
          { name: 'p99', values: s.p99_ms, color: '#c0392b' },
        ]}
      />
    </>
  )
}

export function TrafficPage() {
  const [view, setView] = useState<TrafficView | null | undefined>(undefined)
  const [error, setError] = useState<string | undefined>(undefined)
  useEffect(() => {
    let stopped = false
    const load = () =>
      send<TrafficView | null>('GET', '/api/traffic').then(
        (v) => {
          if (!stopped) {
            setView(v)
            setError(undefined)
          }
        },
        (err: Error) => !stopped && setError(err.message),
      )
    void load()
    const timer = setInterval(() => void load(), 5_000)
    return () => {
      stopped = true
      clearInterval(timer)
    }
  }, [])
  const buckets = Object.entries(view?.buckets ?? {})
  const clusters = Object.entries(view?.clusters ?? {})
  return (
    <>
      <PageHeader
        title="Traffic"
        intro="The last 15 minutes in 10-second steps, updated every 5 seconds: the edges that reported and their zones, invocations and their latency at the edges, per bucket and per cluster, and replication backlog and lag per bucket."
      />
      {error && (
        <p class="alert error" role="alert">
          {error}
        </p>
      )}
      {view === undefined ? (
        <p class="muted">Loading…</p>
      ) : buckets.length === 0 && clusters.length === 0 ? (
        <Empty>No invocations or replication in the last 15 minutes.</Empty>
      ) : (
        <>
          {(view?.edges.length ?? 0) > 0 && (
            <section class="panel" aria-labelledby="edges-title">
              <h2 id="edges-title">Edges</h2>
              <DataTable columns={['Edge', 'Zone', 'Invocations', 'Last report']}>
                {(view?.edges ?? []).map((e) => (
                  <tr key={`${e.token_id}-${e.zone}`}>
                    <th scope="row">
                      {e.token_id === null ? 'this process' : `edge token #${e.token_id}`}
                    </th>
                    <td>{e.zone ?? <span class="muted">no zone</span>}</td>
                    <td>{e.invocations.toLocaleString()}</td>
                    <td>{formatTime(e.last_report_at)}</td>
                  </tr>
                ))}
              </DataTable>
            </section>
          )}
          <h2>Per bucket</h2>
          {buckets.map(([name, s]) => (
            <section key={name} class="panel traffic" aria-label={`bucket ${name}`}>
              <h3>{name}</h3>
              <div class="charts">
                <TrafficCharts series={s} slotSeconds={view?.slot_seconds ?? 10} />
                <LineChart
                  title="Replication backlog"
                  unit="obj"
                  slotSeconds={view?.slot_seconds ?? 10}
                  caption={`up to ${peak(s.backlog)} object${peak(s.backlog) === 1 ? '' : 's'} pending, now ${s.backlog.at(-1) ?? 0}`}
                  series={[{ name: 'pending objects', values: s.backlog, color: '#b8860b' }]}
                />
                <LineChart
                  title="Replication lag"
                  unit="s"
                  slotSeconds={view?.slot_seconds ?? 10}
                  caption={
                    s.lag_max_s.some((v) => v !== null)
                      ? `up to ${fmt(peak(s.lag_max_s))} s from change to replica`
                      : 'nothing replicated'
                  }
                  series={[{ name: 'max lag', values: s.lag_max_s, color: '#7d3c98' }]}
                />
              </div>
            </section>
          ))}
          <h2>Per cluster</h2>
          {clusters.map(([name, s]) => (
            <section key={name} class="panel traffic" aria-label={`cluster ${name}`}>
              <h3>{name}</h3>
              <div class="charts">
                <TrafficCharts series={s} slotSeconds={view?.slot_seconds ?? 10} />
              </div>
            </section>
          ))}
        </>
      )}
    </>
  )
}
