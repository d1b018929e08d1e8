import type { JSX } from 'preact'
import { useState } from 'preact/hooks'

/** One dialog at a time per page: `open(close => <SomeDialog onClose={close} />)`. */
export function useDialog() {
  const [dialog, setDialog] = useState<JSX.Element | null>(null)
  const close = () => setDialog(null)
  return {
    dialog,
    open: (render: (close: () => void) => JSX.Element) => setDialog(render(close)),
  }
}
