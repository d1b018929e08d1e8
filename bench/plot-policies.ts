/**
 * Draws bench/results/policies.json as two SVGs (no plotting library):
 *  - policies-completed.svg: completed requests over time per mode (thesis fig. 7.5),
 *  - policies-latency.svg: mean and p99 latency per mode (thesis fig. 7.6).
 *   node --import tsx bench/plot-policies.ts
 */
import fs from 'node:fs'
import { esc, footer, frame, niceStep } from './svg.js'

interface Row {
  group: string
  mode: string
  completed: number
  mean_ms: number
  p99_ms: number
}
const data = JSON.parse(fs.readFileSync('bench/results/policies.json', 'utf8')) as {
  setup: string
  rows: Row[]
  timelines: Record<string, [number, number][]>
}

const COLORS: Record<string, string> = {
  'direct hpc': '#7f8c8d',
  'direct cloud-1': '#b2babb',
  'direct cloud-2': '#d5d8dc',
  round_robin: '#c0392b',
  random: '#e67e22',
  least_conn: '#2471a3',
  fastest: '#1b7f3b',
}
const color = (mode: string) => COLORS[mode] ?? '#999999'
function completedOverTime(): string {
  const [W, H, L, R, T, B] = [760, 460, 70, 170, 40, 80]
  const modes = Object.keys(data.timelines).filter((m) => COLORS[m])
  const last = (m: string) => data.timelines[m]!.at(-1) ?? [0, 0]
  const tMax = Math.max(...modes.map((m) => last(m)[0]))
  const nMax = Math.max(...modes.map((m) => last(m)[1]))
  const x = (t: number) => L + (t / tMax) * (W - L - R)
  const y = (n: number) => H - B - (n / nMax) * (H - T - B)
  const parts = frame(W, H, 'Completed requests over time, per cluster and per policy')
  const nStep = niceStep(nMax)
  for (let n = 0; n <= nMax; n += nStep) {
    parts.push(`<line x1="${L}" x2="${W - R}" y1="${y(n)}" y2="${y(n)}" stroke="#e5e5e5"/>`)
    parts.push(`<text x="${L - 8}" y="${y(n) + 4}" text-anchor="end">${n}</text>`)
  }
  const tStep = niceStep(tMax)
  for (let t = 0; t <= tMax; t += tStep) {
    parts.push(`<text x="${x(t)}" y="${H - B + 16}" text-anchor="middle">${t} s</text>`)
  }
  parts.push(`<text x="${(W - R + L) / 2}" y="${H - B + 32}" text-anchor="middle">time</text>`)
  let legendY = T + 10
  for (const mode of modes) {
    const points = data.timelines[mode]!.map(([t, n]) => `${x(t).toFixed(1)},${y(n).toFixed(1)}`)
    const dashed = mode.startsWith('direct') ? ' stroke-dasharray="5 3"' : ''
    parts.push(
      `<polyline fill="none" stroke="${color(mode)}" stroke-width="2"${dashed} points="${points.join(' ')}"/>`,
    )
    parts.push(
      `<rect x="${W - R + 15}" y="${legendY - 9}" width="12" height="12" fill="${color(mode)}"/>`,
    )
    parts.push(`<text x="${W - R + 32}" y="${legendY + 1}">${esc(mode)} (${last(mode)[1]})</text>`)
    legendY += 18
  }
  parts.push(...footer(data.setup, L, H - B + 48))
  return [...parts, '</svg>'].join('\n') + '\n'
}

function latencyBars(): string {
  const rows = data.rows
  const [W, L, R, T, rowH] = [760, 150, 150, 50, 30]
  const H = T + rows.length * rowH + 70
  const max = Math.max(...rows.map((r) => r.p99_ms)) * 1.1
  const x = (ms: number) => L + (ms / max) * (W - L - R)
  const parts = frame(W, H, 'Mean (solid) and p99 (light) latency per mode')
  rows.forEach((r, i) => {
    const top = T + i * rowH
    parts.push(`<text x="${L - 8}" y="${top + 17}" text-anchor="end">${esc(r.mode)}</text>`)
    parts.push(
      `<rect x="${L}" y="${top + 4}" width="${x(r.p99_ms) - L}" height="18" fill="${color(r.mode)}" opacity="0.35"/>`,
      `<rect x="${L}" y="${top + 4}" width="${x(r.mean_ms) - L}" height="18" fill="${color(r.mode)}"/>`,
      `<text x="${x(r.p99_ms) + 4}" y="${top + 17}" font-size="11">${r.mean_ms} / ${r.p99_ms} ms</text>`,
    )
  })
  parts.push(...footer(data.setup, L, H - 50))
  return [...parts, '</svg>'].join('\n') + '\n'
}

fs.writeFileSync('bench/results/policies-completed.svg', completedOverTime())
fs.writeFileSync('bench/results/policies-latency.svg', latencyBars())
console.log('wrote bench/results/policies-completed.svg and policies-latency.svg')
