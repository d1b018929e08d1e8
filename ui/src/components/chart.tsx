/**
 * A small SVG line chart for the traffic page: one or more series over the same time slots,
 * scaled to the largest value, with the time axis labelled from −15 min to now. Gaps (null) break
 * a line. The figure's caption states what the lines show in words (for screen readers, and what
 * the browser tests read).
 */
export interface ChartSeries {
  name: string
  values: (number | null)[]
  color: string
}

const W = 600
const H = 140
const PAD = { left: 44, right: 8, top: 10, bottom: 20 }

const nice = (v: number): number => {
  if (v <= 0) return 1
  const p = 10 ** Math.floor(Math.log10(v))
  return ([1, 2, 5, 10].map((m) => m * p).find((m) => m >= v) ?? 10 * p) as number
}

export function LineChart(props: {
  title: string
  unit: string
  series: ChartSeries[]
  /** Seconds each value covers, and how many minutes the whole axis spans. */
  slotSeconds: number
  caption: string
}) {
  const n = Math.max(1, ...props.series.map((s) => s.values.length))
  const max = nice(Math.max(0, ...props.series.flatMap((s) => s.values.map((v) => v ?? 0))))
  const x = (i: number) => PAD.left + (i / Math.max(1, n - 1)) * (W - PAD.left - PAD.right)
  const y = (v: number) => H - PAD.bottom - (v / max) * (H - PAD.top - PAD.bottom)
  const minutes = Math.round((n * props.slotSeconds) / 60)
  const paths = props.series.map((s) => {
    let d = ''
    let pen = false
    s.values.forEach((v, i) => {
      if (v === null) {
        pen = false
        return
      }
      d += `${pen ? 'L' : 'M'}${x(i).toFixed(1)},${y(v).toFixed(1)}`
      pen = true
    })
    // A value with no neighbour draws no line: it gets a dot.
    const dots = s.values.flatMap((v, i) =>
      v !== null && (s.values[i - 1] ?? null) === null && (s.values[i + 1] ?? null) === null
        ? [{ cx: x(i), cy: y(v) }]
        : [],
    )
    return { ...s, d, dots }
  })
  return (
    <figure class="chart">
      <figcaption>
        <strong>{props.title}</strong> <span class="muted small">{props.caption}</span>
      </figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`${props.title}: ${props.caption}`}>
        <line x1={PAD.left} x2={W - PAD.right} y1={y(0)} y2={y(0)} class="axis" />
        <line x1={PAD.left} x2={W - PAD.right} y1={y(max)} y2={y(max)} class="grid" />
        <text x={PAD.left - 4} y={y(max) + 4} text-anchor="end">
          {max} {props.unit}
        </text>
        <text x={PAD.left - 4} y={y(0) + 4} text-anchor="end">
          0
        </text>
        <text x={PAD.left} y={H - 4}>
          −{minutes} min
        </text>
        <text x={W - PAD.right} y={H - 4} text-anchor="end">
          now
        </text>
        {paths.map((p) => (
          <g key={p.name}>
            <path d={p.d} stroke={p.color} data-series={p.name} />
            {p.dots.map((dot) => (
              <circle key={dot.cx} cx={dot.cx} cy={dot.cy} r={3} fill={p.color} />
            ))}
          </g>
        ))}
      </svg>
      {props.series.length > 1 && (
        <ul class="legend">
          {props.series.map((s) => (
            <li key={s.name}>
              <span class="swatch" style={{ background: s.color }} /> {s.name}
            </li>
          ))}
        </ul>
      )}
    </figure>
  )
}
