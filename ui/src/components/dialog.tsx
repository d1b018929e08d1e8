/**
 * Dialogs on the native <dialog> element opened with showModal(): the browser moves focus into it,
 * makes the rest of the page inert and closes it on Escape; wrapTab keeps Tab inside.
 */
import type { ComponentChildren } from 'preact'
import { createContext } from 'preact'
import { useContext, useEffect, useId, useRef, useState } from 'preact/hooks'
import { ApiError } from '../api.js'
import { useAction } from './use-action.js'

export function Dialog(props: {
  title: string
  onClose: () => void
  children: ComponentChildren
  wide?: boolean
}) {
  const ref = useRef<HTMLDialogElement>(null)
  const titleId = useId()
  useEffect(() => {
    const dialog = ref.current
    if (dialog && !dialog.open) dialog.showModal()
    return () => dialog?.close()
  }, [])
  return (
    <dialog
      ref={ref}
      class={props.wide ? 'wide' : undefined}
      aria-labelledby={titleId}
      onClose={props.onClose}
      onKeyDown={wrapTab}
    >
      <header class="dialog-header">
        <h2 id={titleId}>{props.title}</h2>
        <button type="button" class="icon" aria-label="Close" onClick={props.onClose}>
          ×
        </button>
      </header>
      {props.children}
    </dialog>
  )
}

const FOCUSABLE =
  'a[href], button:not(:disabled), input:not(:disabled), select:not(:disabled), textarea:not(:disabled), [tabindex]:not([tabindex="-1"])'

/**
 * Tab from the last control goes to the first and Shift+Tab from the first to the last, so focus
 * stays in the dialog (the browser alone would pass it to its own toolbar in between).
 */
function wrapTab(e: KeyboardEvent) {
  if (e.key !== 'Tab') return
  const dialog = e.currentTarget as HTMLDialogElement
  const items = [...dialog.querySelectorAll<HTMLElement>(FOCUSABLE)].filter(
    (el) => el.offsetParent !== null,
  )
  const first = items[0]
  const last = items[items.length - 1]
  if (!first || !last) return
  if (e.shiftKey && document.activeElement === first) {
    e.preventDefault()
    last.focus()
  } else if (!e.shiftKey && document.activeElement === last) {
    e.preventDefault()
    first.focus()
  }
}

/** The error the API gave for the last submit, for fields to show next to themselves. */
const FormError = createContext<ApiError | undefined>(undefined)

/** Does the API's error field (`zones[2]`, `images.faas_ids`) belong to this input? */
export function fieldMatches(errorField: string | undefined, name: string): boolean {
  if (!errorField) return false
  return (
    errorField === name || errorField.startsWith(`${name}[`) || errorField.startsWith(`${name}.`)
  )
}

interface FormProps {
  submitLabel: string
  /** Names of the fields on the form; an API error naming another field is shown on top. */
  fields: string[]
  onSubmit: () => Promise<void>
  /** After a successful submit. */
  onDone?: () => void
  onCancel?: () => void
  busyLabel?: string
  children: ComponentChildren
}

/**
 * A form whose submit calls the API: while it runs the button says so; a 400 naming a field is
 * shown under that field (which gets focus), any other error on top.
 */
export function Form(props: FormProps) {
  const [error, setError] = useState<ApiError | undefined>(undefined)
  const [busy, setBusy] = useState(false)
  const formRef = useRef<HTMLFormElement>(null)
  const unplaced = error && !props.fields.some((f) => fieldMatches(error.field, f))
  useEffect(() => {
    if (!error) return
    formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus()
  }, [error])
  return (
    <form
      ref={formRef}
      noValidate
      onInput={(e) => {
        // Editing the field the API complained about clears the complaint.
        const edited = (e.target as HTMLInputElement).name
        if (error && edited && fieldMatches(error.field, edited)) setError(undefined)
      }}
      onSubmit={async (e) => {
        e.preventDefault()
        setBusy(true)
        setError(undefined)
        try {
          await props.onSubmit()
          props.onDone?.()
        } catch (err) {
          setError(
            err instanceof ApiError ? err : new ApiError(0, 'failed', (err as Error).message),
          )
        } finally {
          setBusy(false)
        }
      }}
    >
      {unplaced && (
        <p class="alert error" role="alert">
          {error.message}
        </p>
      )}
      <FormError.Provider value={error}>{props.children}</FormError.Provider>
      <footer class="dialog-actions">
        {props.onCancel && (
          <button type="button" onClick={props.onCancel}>
            Cancel
          </button>
        )}
        <button type="submit" class="primary" disabled={busy}>
          {busy ? (props.busyLabel ?? 'Saving…') : props.submitLabel}
        </button>
      </footer>
    </form>
  )
}

export function FormDialog(
  props: Omit<FormProps, 'onDone' | 'onCancel'> & {
    title: string
    onClose: () => void
    wide?: boolean
  },
) {
  const { title, onClose, wide, ...form } = props
  return (
    <Dialog title={title} onClose={onClose} wide={wide ?? false}>
      <Form {...form} onDone={onClose} onCancel={onClose} />
    </Dialog>
  )
}

/**
 * A labelled input whose API error (if any) is shown under it and announced. With `group`, a
 * fieldset whose legend names a group of checkboxes (a <label> can only name one control).
 */
export function Field(props: {
  name: string
  label: string
  hint?: string
  group?: boolean
  children: (attrs: FieldAttrs) => ComponentChildren
}) {
  const error = useContext(FormError)
  const id = useId()
  const invalid = fieldMatches(error?.field, props.name)
  const described = [props.hint && `${id}-hint`, invalid && `${id}-error`].filter(Boolean).join(' ')
  const Wrapper = props.group ? 'fieldset' : 'div'
  return (
    <Wrapper class={invalid ? 'field invalid' : 'field'}>
      {props.group ? <legend>{props.label}</legend> : <label for={id}>{props.label}</label>}
      {props.children({
        id,
        name: props.name,
        'aria-invalid': invalid ? 'true' : 'false',
        ...(described ? { 'aria-describedby': described } : {}),
      })}
      {props.hint && (
        <small id={`${id}-hint`} class="hint">
          {props.hint}
        </small>
      )}
      {invalid && (
        <small id={`${id}-error`} class="field-error" role="alert">
          {messageFor(error, props.name)}
        </small>
      )}
    </Wrapper>
  )
}

export interface FieldAttrs {
  id: string
  name: string
  'aria-invalid': 'true' | 'false'
  'aria-describedby'?: string
}

/** "name: must not be empty" → "must not be empty" when shown under the name field. */
function messageFor(error: ApiError | undefined, name: string): string {
  const message = error?.message ?? ''
  return message.startsWith(`${name}: `) ? message.slice(name.length + 2) : message
}

export function ConfirmDialog(props: {
  title: string
  confirmLabel: string
  onConfirm: () => Promise<void>
  onClose: () => void
  children: ComponentChildren
}) {
  const { busy, error, run } = useAction(async () => {
    await props.onConfirm()
    props.onClose()
  })
  return (
    <Dialog title={props.title} onClose={props.onClose}>
      <div class="dialog-body">{props.children}</div>
      {error && (
        <p class="alert error" role="alert">
          {error}
        </p>
      )}
      <footer class="dialog-actions">
        <button type="button" onClick={props.onClose} autofocus>
          Cancel
        </button>
        <button type="button" class="danger" disabled={busy} onClick={run}>
          {busy ? 'Working…' : props.confirmLabel}
        </button>
      </footer>
    </Dialog>
  )
}

/** The input attributes the forms use. */
interface InputProps {
  type?: 'text' | 'url' | 'password' | 'number'
  placeholder?: string
  autocomplete?: 'off' | 'new-password' | 'current-password'
  autofocus?: boolean
  disabled?: boolean
  min?: number
  max?: number
  inputMode?: 'numeric' | 'decimal'
}

/** A labelled text input (Field + input). */
export function TextField(
  props: {
    name: string
    label: string
    hint?: string
    value: string
    onValue: (value: string) => void
  } & InputProps,
) {
  const { name, label, hint, value, onValue, type, ...input } = props
  return (
    <Field name={name} label={label} {...(hint ? { hint } : {})}>
      {(attrs) => (
        <input
          // One input element for every type; preact types each type apart.
          type={(type ?? 'text') as 'text'}
          {...input}
          {...attrs}
          value={value}
          onInput={(e) => onValue(e.currentTarget.value)}
        />
      )}
    </Field>
  )
}

/** A labelled select (Field + select). */
export function SelectField(props: {
  name: string
  label: string
  hint?: string
  value: string | number
  onValue: (value: string) => void
  options: { value: string | number; label: string }[]
  autofocus?: boolean
}) {
  return (
    <Field name={props.name} label={props.label} {...(props.hint ? { hint: props.hint } : {})}>
      {(attrs) => (
        <select
          {...attrs}
          value={props.value}
          autofocus={props.autofocus ?? false}
          onChange={(e) => props.onValue(e.currentTarget.value)}
        >
          {props.options.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
      )}
    </Field>
  )
}

/** A labelled group of checkboxes choosing some of `options` (ids). */
export function CheckboxesField(props: {
  name: string
  label: string
  selected: number[]
  onSelected: (ids: number[]) => void
  options: { value: number; label: ComponentChildren }[]
  empty?: string
}) {
  return (
    <Field name={props.name} label={props.label} group>
      {(attrs) => (
        <div
          id={attrs.id}
          aria-invalid={attrs['aria-invalid']}
          aria-describedby={attrs['aria-describedby']}
          class="checks"
          tabIndex={-1}
        >
          {props.options.length === 0 && (
            <span class="muted">{props.empty ?? 'Nothing to choose.'}</span>
          )}
          {props.options.map((o) => (
            <label key={o.value} class="check">
              <input
                type="checkbox"
                checked={props.selected.includes(o.value)}
                onChange={(e) =>
                  props.onSelected(
                    e.currentTarget.checked
                      ? [...props.selected, o.value]
                      : props.selected.filter((id) => id !== o.value),
                  )
                }
              />
              <span>{o.label}</span>
            </label>
          ))}
        </div>
      )}
    </Field>
  )
}

/** A labelled checkbox (label.check), its text the children. */
export function CheckField(props: {
  name: string
  checked: boolean
  onValue: (checked: boolean) => void
  children: ComponentChildren
}) {
  return (
    <label class="check">
      <input
        type="checkbox"
        name={props.name}
        checked={props.checked}
        onChange={(e) => props.onValue(e.currentTarget.checked)}
      />
      {props.children}
    </label>
  )
}
