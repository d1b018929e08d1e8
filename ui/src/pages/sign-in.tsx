/** Sign-in with the admin token (the login URL standalone prints signs in without this page). */
import { useId, useState } from 'preact/hooks'
import { signIn, signOutReason } from '../auth.js'

export function SignInPage() {
  const [value, setValue] = useState('')
  const [error, setError] = useState<string | undefined>(undefined)
  const [busy, setBusy] = useState(false)
  const id = useId()
  const message = error ?? signOutReason.value
  return (
    <main class="sign-in">
      <form
        class="card"
        onSubmit={async (e) => {
          e.preventDefault()
          const candidate = value.trim()
          if (!candidate) {
            setError('Enter the admin token.')
            return
          }
          setBusy(true)
          setError(undefined)
          try {
            // Check the token before keeping it, so a typo is caught here.
            const response = await fetch('/api/clusters', {
              headers: { authorization: `Bearer ${candidate}` },
            })
            if (response.status === 401) setError('That token was not accepted.')
            else if (!response.ok) setError(`FaDO answered ${response.status}.`)
            else signIn(candidate)
          } catch {
            setError('FaDO control is not answering.')
          } finally {
            setBusy(false)
          }
        }}
      >
        <h1>
          <span class="logo" aria-hidden="true">
            F
          </span>
          Sign in to FaDO
        </h1>
        <p class="intro">
          Paste the admin token, or open the login URL that <code>fado standalone</code> printed.
          The token stays in this tab only.
        </p>
        {message && (
          <p class="alert error" role="alert">
            {message}
          </p>
        )}
        <div class="field">
          <label for={id}>Admin token</label>
          <input
            id={id}
            type="password"
            autocomplete="current-password"
            value={value}
            onInput={(e) => setValue(e.currentTarget.value)}
            autofocus
          />
        </div>
        <button type="submit" class="primary wide" disabled={busy}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
      </form>
    </main>
  )
}
