/**
 * Draws bench/results/placement.json as an SVG: the latency CDF of each mode on a log time axis
 * (bench/results/placement-cdf.svg). No plotting library: a few lines of SVG.
 *   node --import tsx bench/plot-placement.ts
 */
import fs from 'node:fs'
import { footer, frame } from './svg.js'

const data = JSON.parse(fs.readFileSync('bench/results/placement.json', 'utf8')) as {
  setup: string
  latencies_ms: Record<string, number[]>
}
const [W, H, L, R, T, B] = [760, 460, 70, 20, 40, 100]
const all = Object.values(data.latencies_ms).flat()
const [lo, hi] = [
  Math.log10(Math.max(1, Math.min(...all)) / 1.2),
  Math.log10(Math.max(...all) * 1.2),
]
const x = (ms: number) => L + ((Math.log10(ms) - lo) / (hi - lo)) * (W - L - R)
const y = (q: number) => H - B - q * (H - T - B)
const colors: Record<string, string> = {
  aware: '#1b7f3b',
  function_aware: '#2a6fdb',
  direct: '#555555',
  oblivious: '#c0392b',
}
const names: Record<string, string> = {
  aware: 'data-aware (FaDO)',
  function_aware: 'function-aware (FaDO, X-FaDO-Function)',
  direct: 'direct to the right cluster',
  oblivious: 'data-oblivious (round robin)',
}

const parts: string[] = frame(W, H, 'Latency of a function reading a 10 MiB object (CDF)')
for (let d = Math.floor(lo); d <= Math.floor(hi); d++) {
  for (const m of [1, 2, 5]) {
    const ms = m * 10 ** d
    if (Math.log10(ms) < lo || Math.log10(ms) > hi) continue
    parts.push(`<line x1="${x(ms)}" x2="${x(ms)}" y1="${T}" y2="${H - B}" stroke="#e5e5e5"/>`)
    parts.push(
      `<text x="${x(ms)}" y="${H - B + 16}" text-anchor="middle">${ms >= 1000 ? ms / 1000 + ' s' : ms + ' ms'}</text>`,
    )
  }
}
for (const q of [0, 0.25, 0.5, 0.75, 1]) {
  parts.push(`<line x1="${L}" x2="${W - R}" y1="${y(q)}" y2="${y(q)}" stroke="#e5e5e5"/>`)
  parts.push(`<text x="${L - 8}" y="${y(q) + 4}" text-anchor="end">${q * 100}%</text>`)
}
parts.push(
  `<text x="${(W + L) / 2}" y="${H - B + 34}" text-anchor="middle">latency (log scale)</text>`,
)
let legendY = T + 10
for (const [mode, values] of Object.entries(data.latencies_ms)) {
  const sorted = [...values].sort((a, b) => a - b)
  const points = sorted
    .map((v, i) => `${x(v).toFixed(1)},${y((i + 1) / sorted.length).toFixed(1)}`)
    .join(' ')
  parts.push(
    `<polyline fill="none" stroke="${colors[mode] ?? 'black'}" stroke-width="2" points="${points}"/>`,
  )
  parts.push(
    `<rect x="${W - R - 230}" y="${legendY - 9}" width="12" height="12" fill="${colors[mode] ?? 'black'}"/>`,
  )
  parts.push(`<text x="${W - R - 212}" y="${legendY + 1}">${names[mode] ?? mode}</text>`)
  legendY += 18
}
parts.push(...footer(data.setup, L, H - B + 54), '</svg>')
fs.writeFileSync('bench/results/placement-cdf.svg', parts.join('\n') + '\n')
console.log('wrote bench/results/placement-cdf.svg')
