/** The list table every page uses: scrolls sideways inside its box on narrow windows. */
import type { ComponentChildren, JSX } from 'preact'
import { ConfirmDialog } from './dialog.js'

export type Column = string | { label: string; class: string }

export function DataTable(props: {
  columns: Column[]
  caption?: string
  /** Adds a last, unlabelled column for row buttons. */
  actions?: boolean
  children: ComponentChildren
}) {
  return (
    <div class="table-wrap">
      <table>
        {props.caption && <caption class="sr-only">{props.caption}</caption>}
        <thead>
          <tr>
            {props.columns.map((c) =>
              typeof c === 'string' ? (
                <th scope="col" key={c}>
                  {c}
                </th>
              ) : (
                <th scope="col" key={c.label} class={c.class}>
                  {c.label}
                </th>
              ),
            )}
            {props.actions !== false && (
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            )}
          </tr>
        </thead>
        <tbody>{props.children}</tbody>
      </table>
    </div>
  )
}

/** A destructive row button that asks first, in a dialog saying what will happen. */
export function ConfirmButton(props: {
  open: (render: (close: () => void) => JSX.Element) => void
  /** The accessible name, e.g. "Delete images". */
  label: string
  text: string
  title: string
  confirmLabel: string
  onConfirm: () => Promise<void>
  children: ComponentChildren
}) {
  return (
    <button
      type="button"
      class="danger-text"
      aria-label={props.label}
      onClick={() =>
        props.open((close) => (
          <ConfirmDialog
            title={props.title}
            confirmLabel={props.confirmLabel}
            onClose={close}
            onConfirm={props.onConfirm}
          >
            {props.children}
          </ConfirmDialog>
        ))
      }
    >
      {props.text}
    </button>
  )
}
