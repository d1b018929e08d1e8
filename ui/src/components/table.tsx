/** The list table every page uses: scrolls sideways inside its box on narrow windows. */
import type { ComponentChildren, JSX } from 'preact'
import { send } from '../api.js'
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

/** The usual last cell of a row: Edit, and Delete after a confirmation (DELETE `path`, then refresh). */
export function EditDeleteCell(props: {
  open: (render: (close: () => void) => JSX.Element) => void
  /** What the buttons are named after, e.g. "images": "Edit images", "Delete images". */
  name: string
  onEdit: () => void
  title: string
  confirmLabel: string
  /** The DELETE the confirmation sends. */
  path: string
  onDeleted: () => Promise<void>
  children: ComponentChildren
}) {
  return (
    <td class="row-actions">
      <button type="button" onClick={props.onEdit} aria-label={`Edit ${props.name}`}>
        Edit
      </button>
      <ConfirmButton
        open={props.open}
        label={`Delete ${props.name}`}
        text="Delete"
        title={props.title}
        confirmLabel={props.confirmLabel}
        onConfirm={async () => {
          await send('DELETE', props.path)
          await props.onDeleted()
        }}
      >
        {props.children}
      </ConfirmButton>
    </td>
  )
}
