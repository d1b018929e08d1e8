/** Objects of a bucket: list, upload with progress, download, delete (thesis §6.2, fig. B.17–B.20). */
import { useEffect, useId, useRef, useState } from 'preact/hooks'
import { download, send, upload } from '../api.js'
import { useApp } from '../state.js'
import { Empty, formatBytes, formatTime, PageHeader } from '../components/common.js'
import { DataTable, ConfirmButton } from '../components/table.js'
import { useDialog } from '../components/use-dialog.js'
import { Link, navigate } from '../router.js'
import { refresh } from '../state.js'
import type { Bucket, ObjectPage, Resources } from '../types.js'

export function ObjectsPage(props: { bucket?: string | undefined }) {
  const state = useApp()
  const r = state.resources.value as Resources
  const selectId = useId()
  const bucket = r.buckets.find((b) => b.name === (props.bucket ?? r.buckets[0]?.name))
  return (
    <>
      <PageHeader
        title="Objects"
        intro="Files in a bucket's master copy; replicas follow within seconds."
      >
        {r.buckets.length > 0 && (
          <div class="inline-field">
            <label for={selectId}>Bucket</label>
            <select
              id={selectId}
              value={bucket?.name ?? ''}
              onChange={(e) => navigate(`/objects/${encodeURIComponent(e.currentTarget.value)}`)}
            >
              {r.buckets.map((b) => (
                <option key={b.bucket_id} value={b.name}>
                  {b.name}
                </option>
              ))}
            </select>
          </div>
        )}
      </PageHeader>
      {r.buckets.length === 0 ? (
        <Empty>
          No buckets yet. <Link href="/buckets">Create one</Link> to upload files.
        </Empty>
      ) : !bucket ? (
        <Empty>
          There is no bucket named {props.bucket}. <Link href="/buckets">See all buckets</Link>.
        </Empty>
      ) : (
        <BucketObjects bucket={bucket} key={bucket.bucket_id} />
      )}
    </>
  )
}

const PAGE_SIZE = 50

/**
 * One page of a bucket's objects at a time, in key order, optionally under a prefix: the page
 * never holds a whole bucket. A new page is fetched when the bucket changes (its counters move),
 * after an upload or delete here, and on Next / Previous.
 */
function BucketObjects(props: { bucket: Bucket }) {
  const state = useApp()
  const { dialog, open } = useDialog()
  const prefixId = useId()
  const [error, setError] = useState<string | undefined>(undefined)
  const [prefix, setPrefix] = useState('')
  /** `after` keys of the pages before this one (for Previous), and this page's. */
  const [cursors, setCursors] = useState<string[]>([''])
  const [page, setPage] = useState<ObjectPage | undefined>(undefined)
  const [reload, setReload] = useState(0)
  const after = cursors.at(-1) ?? ''
  const { bucket_id, object_count, total_bytes } = props.bucket

  useEffect(() => {
    let current = true
    const query = new URLSearchParams({
      bucket: props.bucket.name,
      limit: String(PAGE_SIZE),
      ...(prefix ? { prefix } : {}),
      ...(after ? { after } : {}),
    })
    send<ObjectPage>('GET', `/api/objects?${query}`).then(
      (p) => {
        if (current) {
          setPage(p)
          setError(undefined)
        }
      },
      (err: Error) => current && setError(`Could not list ${props.bucket.name}: ${err.message}`),
    )
    return () => {
      current = false
    }
  }, [bucket_id, object_count, total_bytes, prefix, after, reload])

  const changed = async () => {
    setReload((n) => n + 1)
    await refresh(state)
  }
  const objects = page?.objects ?? []
  const first = (cursors.length - 1) * PAGE_SIZE + 1
  return (
    <>
      <Uploader bucket={props.bucket.name} onUploaded={changed} />
      <form
        class="inline-field filter"
        role="search"
        onSubmit={(e) => {
          e.preventDefault()
          const value = new FormData(e.currentTarget).get('prefix')
          setPrefix(typeof value === 'string' ? value : '')
          setCursors([''])
        }}
      >
        <label for={prefixId}>Names starting with</label>
        <input id={prefixId} name="prefix" type="search" defaultValue={prefix} placeholder="any" />
        <button type="submit">Filter</button>
      </form>
      {error && (
        <p class="alert error" role="alert">
          {error}
        </p>
      )}
      <p class="muted" aria-live="polite">
        {page === undefined
          ? 'Loading…'
          : objects.length === 0
            ? ''
            : `${first}–${first + objects.length - 1}${prefix ? ` of the objects starting with “${prefix}”` : ` of ${object_count}`} (${formatBytes(total_bytes)} in all)`}
      </p>
      {page !== undefined && objects.length === 0 ? (
        <Empty>
          {prefix
            ? `No object of ${props.bucket.name} starts with “${prefix}”.`
            : `${props.bucket.name} is empty.`}
        </Empty>
      ) : (
        <DataTable
          columns={['Name', { label: 'Size', class: 'num' }, 'Last modified', 'ETag']}
          caption={`Objects in ${props.bucket.name}`}
        >
          {objects.map((o) => (
            <tr key={o.object_id}>
              <th scope="row" class="mono">
                {o.name}
              </th>
              <td class="num">{formatBytes(o.size)}</td>
              <td>{formatTime(o.last_modified)}</td>
              <td class="mono muted" title={o.etag}>
                {o.etag.slice(0, 10)}
              </td>
              <td class="row-actions">
                <button
                  type="button"
                  aria-label={`Download ${o.name}`}
                  onClick={() => {
                    setError(undefined)
                    download(
                      `/api/objects/${o.object_id}`,
                      o.name.split('/').pop() ?? o.name,
                    ).catch((err: Error) =>
                      setError(`Download of ${o.name} failed: ${err.message}`),
                    )
                  }}
                >
                  Download
                </button>
                <ConfirmButton
                  open={open}
                  label={`Delete ${o.name}`}
                  text="Delete"
                  title={`Delete ${o.name}?`}
                  confirmLabel="Delete object"
                  onConfirm={async () => {
                    await send('DELETE', `/api/objects/${o.object_id}`)
                    await changed()
                  }}
                >
                  <p>
                    It is removed from the master copy of {props.bucket.name} now and from its
                    replicas with the next sync.
                  </p>
                </ConfirmButton>
              </td>
            </tr>
          ))}
        </DataTable>
      )}
      <nav class="pager" aria-label="Pages">
        <button
          type="button"
          disabled={cursors.length === 1}
          onClick={() => setCursors((c) => c.slice(0, -1))}
        >
          Previous
        </button>
        <button
          type="button"
          disabled={!page?.next_after}
          onClick={() => page?.next_after && setCursors((c) => [...c, page.next_after as string])}
        >
          Next
        </button>
      </nav>
      {dialog}
    </>
  )
}

function Uploader(props: { bucket: string; onUploaded: () => Promise<void> }) {
  const inputId = useId()
  const input = useRef<HTMLInputElement>(null)
  const [progress, setProgress] = useState<{ name: string; fraction: number } | undefined>()
  const [message, setMessage] = useState<{ tone: 'ok' | 'error'; text: string } | undefined>()
  const cancel = useRef<(() => void) | undefined>(undefined)

  const start = async (files: File[]) => {
    setMessage(undefined)
    let done = 0
    for (const file of files) {
      setProgress({ name: file.name, fraction: 0 })
      const job = upload(props.bucket, file, (fraction) =>
        setProgress({ name: file.name, fraction }),
      )
      cancel.current = job.abort
      try {
        await job.done
        done++
      } catch (err) {
        setMessage({ tone: 'error', text: `${file.name}: ${(err as Error).message}` })
        break
      } finally {
        cancel.current = undefined
      }
    }
    setProgress(undefined)
    if (input.current) input.current.value = ''
    if (done > 0) {
      setMessage(
        (m) =>
          m ?? {
            tone: 'ok',
            text: `Uploaded ${done} file${done === 1 ? '' : 's'} to ${props.bucket}.`,
          },
      )
      await props.onUploaded()
    }
  }

  return (
    <section class="panel uploader" aria-label="Upload">
      <div class="inline-field">
        <label for={inputId}>Upload files to {props.bucket}</label>
        <input
          ref={input}
          id={inputId}
          type="file"
          multiple
          disabled={progress !== undefined}
          onChange={(e) => {
            const files = [...(e.currentTarget.files ?? [])]
            if (files.length > 0) void start(files)
          }}
        />
      </div>
      {progress && (
        <div class="progress-row">
          <label>
            Uploading {progress.name}
            <progress value={progress.fraction} max={1}>
              {Math.round(progress.fraction * 100)}%
            </progress>
          </label>
          <span aria-hidden="true">{Math.round(progress.fraction * 100)}%</span>
          <button type="button" onClick={() => cancel.current?.()}>
            Cancel
          </button>
        </div>
      )}
      {message && (
        <p class={`alert ${message.tone === 'ok' ? 'success' : 'error'}`} role="status">
          {message.text}
        </p>
      )}
    </section>
  )
}
