/**
 * API tokens: who may call control. An edge gets an `edge` token (it may only read route
 * snapshots), a MinIO webhook a `notify` token; `admin` tokens may do everything. A new token's
 * secret is shown here once, to copy; the list never shows secrets. Revoking is immediate.
 */
import { useEffect, useId, useRef, useState } from 'preact/hooks'
import { send } from '../api.js'
import { Empty, formatTime, PageHeader } from '../components/common.js'
import { FormDialog, SelectField, TextField } from '../components/dialog.js'
import { ConfirmButton, DataTable } from '../components/table.js'
import { useDialog } from '../components/use-dialog.js'
import type { Scope, Token } from '../types.js'
import { useApp } from '../state.js'

const SCOPES: { value: Scope; label: string }[] = [
  { value: 'edge', label: 'edge — read route snapshots (for fado edge, Workers)' },
  { value: 'notify', label: 'notify — deliver storage notifications (MinIO webhooks)' },
  { value: 'metrics', label: 'metrics — read /metrics (Prometheus)' },
  { value: 'agent', label: 'agent — take and report the copy work of one cluster (fado agent)' },
  { value: 'admin', label: 'admin — everything' },
]

export function TokensPage() {
  const state = useApp()
  const { dialog, open } = useDialog()
  const [tokens, setTokens] = useState<Token[] | undefined>(undefined)
  const [error, setError] = useState<string | undefined>(undefined)
  const [created, setCreated] = useState<(Token & { token: string }) | undefined>(undefined)
  const load = () =>
    send<Token[]>('GET', '/api/tokens').then(setTokens, (err: Error) => setError(err.message))
  useEffect(() => void load(), [])

  return (
    <>
      <PageHeader
        title="Tokens"
        intro="Give each edge, webhook and scraper a token that can do only its job. The bootstrap admin token is not listed."
      >
        <button
          type="button"
          class="primary"
          onClick={() =>
            open((close) => (
              <TokenDialog
                onClose={close}
                onCreated={async (t) => {
                  setCreated(t)
                  await load()
                }}
              />
            ))
          }
        >
          Create token
        </button>
      </PageHeader>
      {created && <NewToken token={created} onDone={() => setCreated(undefined)} />}
      {error && (
        <p class="alert error" role="alert">
          {error}
        </p>
      )}
      {tokens === undefined ? (
        <p class="muted">Loading…</p>
      ) : tokens.length === 0 ? (
        <Empty>No tokens yet. Create one for each edge and each MinIO webhook.</Empty>
      ) : (
        <DataTable columns={['Name', 'Scope', 'Created', 'Last used']} caption="API tokens">
          {tokens.map((t) => (
            <tr key={t.token_id}>
              <th scope="row">{t.name}</th>
              <td>
                <span class="badge neutral">{t.scope}</span>
                {t.storage_alias && <span class="muted"> for {t.storage_alias}</span>}
                {t.cluster_id !== null && (
                  <span class="muted"> for cluster {state.clusterName.value(t.cluster_id)}</span>
                )}
              </td>
              <td>{formatTime(t.created_at)}</td>
              <td>
                {t.last_used_at ? formatTime(t.last_used_at) : <span class="muted">never</span>}
              </td>
              <td class="row-actions">
                <ConfirmButton
                  open={open}
                  label={`Revoke ${t.name}`}
                  text="Revoke"
                  title={`Revoke token ${t.name}?`}
                  confirmLabel="Revoke token"
                  onConfirm={async () => {
                    await send('DELETE', `/api/tokens/${t.token_id}`)
                    if (created?.token_id === t.token_id) setCreated(undefined)
                    await load()
                  }}
                >
                  <p>Whatever uses it is refused from now on (401), on every control process.</p>
                </ConfirmButton>
              </td>
            </tr>
          ))}
        </DataTable>
      )}
      {dialog}
    </>
  )
}

/** The secret of a token just created: shown this once, to copy. */
function NewToken(props: { token: Token & { token: string }; onDone: () => void }) {
  const id = useId()
  const input = useRef<HTMLInputElement>(null)
  const [copied, setCopied] = useState(false)
  useEffect(() => input.current?.select(), [])
  return (
    <section class="panel new-token" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Token “{props.token.name}” created</h2>
      <p>Copy it now: it is not shown again, and FaDO keeps only its hash.</p>
      <div class="inline-field">
        <label for={id}>Secret</label>
        <input ref={input} id={id} class="mono" readOnly value={props.token.token} />
        <button
          type="button"
          onClick={() => {
            input.current?.select()
            void navigator.clipboard?.writeText(props.token.token).then(
              () => setCopied(true),
              () => setCopied(false),
            )
          }}
        >
          {copied ? 'Copied' : 'Copy'}
        </button>
        <button type="button" onClick={props.onDone}>
          Done
        </button>
      </div>
    </section>
  )
}

function TokenDialog(props: {
  onClose: () => void
  onCreated: (token: Token & { token: string }) => Promise<void>
}) {
  const [name, setName] = useState('')
  const [scope, setScope] = useState<Scope>('edge')
  const [storage, setStorage] = useState('')
  const clusters = useApp().resources.value?.clusters ?? []
  const [cluster, setCluster] = useState(clusters[0]?.cluster_id ?? 0)
  return (
    <FormDialog
      title="Create token"
      submitLabel="Create token"
      fields={['name', 'scope', 'storage_alias', 'cluster_id']}
      onClose={props.onClose}
      onSubmit={async () => {
        const token = await send<Token & { token: string }>('POST', '/api/tokens', {
          name: name.trim(),
          scope,
          ...(scope === 'notify' && storage.trim() ? { storage_alias: storage.trim() } : {}),
          ...(scope === 'agent' ? { cluster_id: cluster } : {}),
        })
        await props.onCreated(token)
      }}
    >
      <TextField
        name="name"
        label="Name"
        hint="Who uses it, e.g. edge-frankfurt or minio-hpc"
        value={name}
        onValue={setName}
        autofocus
      />
      <SelectField
        name="scope"
        label="Scope"
        value={scope}
        onValue={(v) => setScope(v as Scope)}
        options={SCOPES}
      />
      {scope === 'notify' && (
        <TextField
          name="storage_alias"
          label="Storage deployment"
          hint="The alias of the storage deployment whose events it delivers (it may be tracked later); records of any other are refused"
          value={storage}
          onValue={setStorage}
        />
      )}
      {scope === 'agent' && (
        <SelectField
          name="cluster_id"
          label="Cluster"
          hint="The agent runs next to this cluster's storage and takes only its work"
          value={cluster}
          onValue={(v) => setCluster(Number(v))}
          options={clusters.map((c) => ({ value: c.cluster_id, label: c.name }))}
        />
      )}
    </FormDialog>
  )
}
