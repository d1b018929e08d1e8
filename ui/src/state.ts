/**
 * The page's state: the last /api/resources answer, kept fresh by polling with an ETag (an unchanged
 * answer is a bodiless 304), so changes made elsewhere show within POLL_MS. Data lives in signals;
 * the functions that change it are separate (createAppState / startPolling / refresh).
 */
import { computed, signal } from '@preact/signals'
import { createContext } from 'preact'
import { useContext } from 'preact/hooks'
import { api, ApiError } from './api.js'
import type { Resources } from './types.js'

export const POLL_MS = 2_000

export function createAppState() {
  const resources = signal<Resources | undefined>(undefined)
  /** Set while control does not answer; the page keeps showing the last good data. */
  const connectionError = signal<string | undefined>(undefined)
  const updatedAt = signal<Date | undefined>(undefined)
  const etag = { value: '' }

  const clusterName = computed(() => {
    const names = new Map(resources.value?.clusters.map((c) => [c.cluster_id, c.name]))
    return (id: number) => names.get(id) ?? `#${id}`
  })
  const storageAlias = computed(() => {
    const names = new Map(resources.value?.storage_deployments.map((s) => [s.storage_id, s.alias]))
    return (id: number) => names.get(id) ?? `#${id}`
  })
  return { resources, connectionError, updatedAt, etag, clusterName, storageAlias }
}

export type AppState = ReturnType<typeof createAppState>

let running: Promise<void> = Promise.resolve()
let queued: Promise<void> | undefined

/**
 * Fetches /api/resources (after a change made here, or on the poll). At most one request runs and
 * one waits behind it, so a refresh asked for after a change always sees that change.
 */
export function refresh(state: AppState): Promise<void> {
  queued ??= running.then(() => {
    queued = undefined
    return load(state)
  })
  running = queued
  return queued
}

async function load(state: AppState): Promise<void> {
  try {
    const { data, response } = await api<Resources>(
      'GET',
      '/api/resources',
      undefined,
      state.etag.value ? { 'if-none-match': state.etag.value } : {},
    )
    if (data) {
      state.resources.value = data
      state.etag.value = response.headers.get('etag') ?? ''
    }
    state.connectionError.value = undefined
    state.updatedAt.value = new Date()
  } catch (err) {
    if (err instanceof ApiError && err.status !== 401) state.connectionError.value = err.message
  }
}

/** Polls while the tab is visible; returns a stop function. */
export function startPolling(state: AppState): () => void {
  void refresh(state)
  const timer = setInterval(() => {
    if (!document.hidden) void refresh(state)
  }, POLL_MS)
  const onVisible = () => {
    if (!document.hidden) void refresh(state)
  }
  document.addEventListener('visibilitychange', onVisible)
  return () => {
    clearInterval(timer)
    document.removeEventListener('visibilitychange', onVisible)
  }
}

/** The app's state, provided by <App> (app.tsx) to every page. */
export const AppContext = createContext<AppState | undefined>(undefined)

export function useApp(): AppState {
  const state = useContext(AppContext)
  if (!state) throw new Error('useApp outside <App>')
  return state
}
