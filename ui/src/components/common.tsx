/** Small shared pieces: page header, status badges, zone chips, empty states, formatting. */
import type { ComponentChildren } from 'preact'

export function PageHeader(props: { title: string; intro?: string; children?: ComponentChildren }) {
  return (
    <header class="page-header">
      <div>
        <h1>{props.title}</h1>
        {props.intro && <p class="intro">{props.intro}</p>}
      </div>
      {props.children && <div class="actions">{props.children}</div>}
    </header>
  )
}

export type Tone = 'ok' | 'busy' | 'bad' | 'neutral'

export function Badge(props: {
  tone: Tone
  children: ComponentChildren
  title?: string | undefined
}) {
  return (
    <span class={`badge ${props.tone}`} title={props.title}>
      {props.children}
    </span>
  )
}

export const REPLICA_TONE = {
  synced: 'ok',
  syncing: 'busy',
  error: 'bad',
  waiting: 'busy',
} as const

export function Zones(props: { zones: string[] }) {
  if (props.zones.length === 0) return <span class="muted">any</span>
  return (
    <ul class="chips" aria-label="zones">
      {props.zones.map((z) => (
        <li key={z}>{z}</li>
      ))}
    </ul>
  )
}

export function Empty(props: { children: ComponentChildren }) {
  return <p class="empty">{props.children}</p>
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  const units = ['KiB', 'MiB', 'GiB', 'TiB']
  let value = bytes / 1024
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`
}

export function formatTime(iso: string | Date | null | undefined): string {
  if (!iso) return '—'
  const date = typeof iso === 'string' ? new Date(iso) : iso
  return date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' })
}

/** 850 → "850 ms", 3200 → "3.2 s", 130000 → "2 min 10 s" */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`
  const s = Math.round(ms / 1000)
  return `${Math.floor(s / 60)} min ${s % 60} s`
}

/** "germany, hpc ,, x" → ['germany', 'hpc', 'x'] */
export const parseList = (text: string): string[] =>
  text
    .split(',')
    .map((z) => z.trim())
    .filter(Boolean)
