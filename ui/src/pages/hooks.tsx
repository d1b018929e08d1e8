/**
 * Snapshot publish hooks on the load-balancer page: where control pushes every new route snapshot
 * (a signed webhook, or a Cloudflare Workers KV namespace), with each hook's delivery state.
 * Secrets are typed here once and never shown again (the API does not return them).
 */
import { useState } from 'preact/hooks'
import { send } from '../api.js'
import { useApp } from '../state.js'
import { Badge, Empty, formatTime } from '../components/common.js'
import { FormDialog, SelectField, TextField } from '../components/dialog.js'
import { ConfirmButton, DataTable } from '../components/table.js'
import { useDialog } from '../components/use-dialog.js'
import { refresh } from '../state.js'
import type { HookView, Resources } from '../types.js'

const TONE = { delivered: 'ok', pending: 'busy', failing: 'bad' } as const

const target = (h: HookView) =>
  h.kind === 'webhook'
    ? h.url
    : `KV ${h.namespace_id.slice(0, 8)}… (account ${h.account_id.slice(0, 8)}…)${h.url ? ` via ${h.url}` : ''}`

export function HooksSection() {
  const state = useApp()
  const r = state.resources.value as Resources
  const { dialog, open } = useDialog()
  return (
    <section aria-labelledby="hooks-title">
      <h2 id="hooks-title">Publish hooks</h2>
      <p class="muted">
        Every new snapshot version is pushed to each hook, retried until delivered or superseded.
      </p>
      <div class="actions">
        <button type="button" onClick={() => open((close) => <HookDialog onClose={close} />)}>
          Add hook
        </button>
      </div>
      {r.hooks.length === 0 ? (
        <Empty>No publish hooks: edges pull snapshots.</Empty>
      ) : (
        <DataTable columns={['Kind', 'Target', 'Delivery', 'Version', 'Last attempt']}>
          {r.hooks.map((h) => (
            <tr key={h.hook_id}>
              <td>{h.kind}</td>
              <th scope="row" class="mono">
                {target(h)}
              </th>
              <td>
                <Badge tone={TONE[h.status]} title={h.last_error ?? undefined}>
                  {h.status}
                </Badge>
                {h.last_error && <div class="muted small">{h.last_error}</div>}
              </td>
              <td>{h.delivered_version === null ? '—' : `v${h.delivered_version}`}</td>
              <td>{formatTime(h.last_attempt_at)}</td>
              <td class="row-actions">
                <ConfirmButton
                  open={open}
                  label={`Delete hook ${h.hook_id}`}
                  text="Delete"
                  title="Delete publish hook?"
                  confirmLabel="Delete hook"
                  onConfirm={async () => {
                    await send('DELETE', `/api/hooks/${h.hook_id}`)
                    await refresh(state)
                  }}
                >
                  <p>
                    <code>{target(h)}</code> gets no more snapshots.
                  </p>
                </ConfirmButton>
              </td>
            </tr>
          ))}
        </DataTable>
      )}
      {dialog}
    </section>
  )
}

function HookDialog(props: { onClose: () => void }) {
  const state = useApp()
  const [kind, setKind] = useState<'webhook' | 'cloudflare-kv'>('webhook')
  const [url, setUrl] = useState('')
  const [secret, setSecret] = useState('')
  const [account, setAccount] = useState('')
  const [namespace, setNamespace] = useState('')
  const [apiUrl, setApiUrl] = useState('')
  return (
    <FormDialog
      title="Add publish hook"
      submitLabel="Add hook"
      fields={['kind', 'url', 'secret', 'account_id', 'namespace_id', 'api_token', 'api_url']}
      onClose={props.onClose}
      onSubmit={async () => {
        const body =
          kind === 'webhook'
            ? { kind, url: url.trim(), secret }
            : {
                kind,
                account_id: account.trim(),
                namespace_id: namespace.trim(),
                api_token: secret,
                ...(apiUrl.trim() ? { api_url: apiUrl.trim() } : {}),
              }
        await send('POST', '/api/hooks', body)
        await refresh(state)
      }}
    >
      <SelectField
        name="kind"
        label="Kind"
        value={kind}
        onValue={(v) => setKind(v as typeof kind)}
        options={[
          { value: 'webhook', label: 'Webhook (signed POST)' },
          { value: 'cloudflare-kv', label: 'Cloudflare Workers KV' },
        ]}
        autofocus
      />
      {kind === 'webhook' ? (
        <>
          <TextField
            name="url"
            label="URL"
            type="url"
            placeholder="https://example.org/fado-snapshots"
            value={url}
            onValue={setUrl}
          />
          <TextField
            name="secret"
            label="Secret"
            hint="At least 16 characters; the body is signed with it (X-FaDO-Signature: sha256=<HMAC>). Not shown again."
            type="password"
            autocomplete="new-password"
            value={secret}
            onValue={setSecret}
          />
        </>
      ) : (
        <>
          <TextField name="account_id" label="Account ID" value={account} onValue={setAccount} />
          <TextField
            name="namespace_id"
            label="KV namespace ID"
            value={namespace}
            onValue={setNamespace}
          />
          <TextField
            name="api_token"
            label="API token"
            hint="A Cloudflare API token allowed to write this namespace. Not shown again."
            type="password"
            autocomplete="new-password"
            value={secret}
            onValue={setSecret}
          />
          <TextField
            name="api_url"
            label="API URL (optional)"
            hint="Cloudflare's REST API unless set"
            type="url"
            placeholder="https://api.cloudflare.com/client/v4"
            value={apiUrl}
            onValue={setApiUrl}
          />
        </>
      )}
    </FormDialog>
  )
}
