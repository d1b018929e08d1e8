import { useState } from 'preact/hooks'

/** What a button starts: `busy` while it runs, the message of its failure kept to show. */
export function useAction(action: () => Promise<void>) {
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | undefined>(undefined)
  const run = async () => {
    setBusy(true)
    setError(undefined)
    try {
      await action()
    } catch (err) {
      setError((err as Error).message)
    } finally {
      setBusy(false)
    }
  }
  return { busy, error, run }
}
