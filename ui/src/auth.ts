/**
 * The admin token, kept for this tab only (sessionStorage): taken from the login URL's fragment
 * (`/#token=…`, which never reaches a server or its logs) and removed from the address bar at once.
 */
import { signal } from '@preact/signals'

const KEY = 'fado.token'

export const token = signal<string | undefined>(undefined)
/** Why the tab was signed out, shown on the sign-in page. */
export const signOutReason = signal<string | undefined>(undefined)

export function initAuth(): void {
  const fromUrl = new URLSearchParams(location.hash.slice(1)).get('token')
  if (fromUrl) {
    sessionStorage.setItem(KEY, fromUrl)
    history.replaceState(history.state, '', location.pathname + location.search)
  }
  token.value = sessionStorage.getItem(KEY) ?? undefined
}

export function signIn(value: string): void {
  sessionStorage.setItem(KEY, value)
  signOutReason.value = undefined
  token.value = value
}

export function signOut(reason?: string): void {
  sessionStorage.removeItem(KEY)
  signOutReason.value = reason
  token.value = undefined
}
