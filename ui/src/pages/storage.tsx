/** Storage deployments: MinIO and other S3 servers FaDO tracks (thesis §6.1, fig. B.8–B.11). */
import { useState } from 'preact/hooks'
import { send } from '../api.js'
import { useApp } from '../state.js'
import { Badge, Empty, PageHeader } from '../components/common.js'
import {
  CheckField,
  ConfirmDialog,
  FormDialog,
  SelectField,
  TextField,
} from '../components/dialog.js'
import { DataTable } from '../components/table.js'
import { ClusterSelect, NeedsCluster } from '../components/clusters.js'
import { useDialog } from '../components/use-dialog.js'
import { refresh } from '../state.js'
import type { Resources, StorageDeployment } from '../types.js'

export function StoragePage() {
  const state = useApp()
  const r = state.resources.value as Resources
  const { dialog, open } = useDialog()
  const mastered = (s: StorageDeployment) => r.buckets.filter((b) => b.storage_id === s.storage_id)
  const replicaCount = (s: StorageDeployment) =>
    r.buckets.filter((b) => b.replicas.some((rep) => rep.storage_id === s.storage_id)).length
  return (
    <>
      <PageHeader
        title="Storage deployments"
        intro="MinIO and other S3-compatible servers FaDO keeps buckets on. Tracking one checks the connection and credentials, and imports the buckets already there."
      >
        <button
          type="button"
          class="primary"
          disabled={r.clusters.length === 0}
          onClick={() => open((close) => <TrackDialog onClose={close} />)}
        >
          Track storage
        </button>
      </PageHeader>
      <NeedsCluster />
      {r.storage_deployments.length === 0 ? (
        <Empty>No storage deployments tracked yet.</Empty>
      ) : (
        <DataTable
          columns={[
            'Alias',
            'Kind',
            'Endpoint',
            'Cluster',
            'Access key',
            'Change events',
            'Buckets',
          ]}
        >
          {r.storage_deployments.map((s) => (
            <tr key={s.storage_id}>
              <th scope="row">{s.alias}</th>
              <td>{s.kind === 'minio' ? 'MinIO' : `S3 · ${s.region}`}</td>
              <td class="mono">
                {s.use_ssl ? 'https://' : 'http://'}
                {s.endpoint}
              </td>
              <td>{state.clusterName.value(s.cluster_id)}</td>
              <td class="mono">{s.access_key}</td>
              <td>
                {s.sqs_arn ? (
                  <Badge tone="ok" title={s.sqs_arn}>
                    webhook
                  </Badge>
                ) : s.kind === 's3' ? (
                  <Badge tone="neutral" title="A plain S3 server: FaDO lists its masters regularly">
                    listing
                  </Badge>
                ) : (
                  <>
                    <Badge tone="neutral" title="No FaDO webhook target configured on this MinIO">
                      event stream
                    </Badge>{' '}
                    <button
                      type="button"
                      class="link"
                      aria-label={`Set up the webhook on ${s.alias}`}
                      onClick={() => open((close) => <WebhookDialog storage={s} onClose={close} />)}
                    >
                      Set up webhook
                    </button>
                  </>
                )}
              </td>
              <td>
                {mastered(s).length} master, {replicaCount(s)} replica
              </td>
              <td class="row-actions">
                <button
                  type="button"
                  class="danger-text"
                  aria-label={`Untrack ${s.alias}`}
                  onClick={() =>
                    open((close) => (
                      <UntrackDialog storage={s} mastered={mastered(s).length} onClose={close} />
                    ))
                  }
                >
                  Untrack
                </button>
              </td>
            </tr>
          ))}
        </DataTable>
      )}
      {dialog}
    </>
  )
}

function WebhookDialog(props: { storage: StorageDeployment; onClose: () => void }) {
  const state = useApp()
  return (
    <ConfirmDialog
      title={`Set up FaDO's webhook on ${props.storage.alias}?`}
      confirmLabel="Set up and restart"
      onClose={props.onClose}
      onConfirm={async () => {
        await send('POST', `/api/storage-deployments/${props.storage.storage_id}/webhook`)
        await refresh(state)
      }}
    >
      <p>
        FaDO adds its webhook target to this MinIO through the admin API and restarts the server
        once (about a second), so changes made directly on its buckets reach replicas within a
        second instead of through the batched event stream.
      </p>
    </ConfirmDialog>
  )
}

function UntrackDialog(props: {
  storage: StorageDeployment
  mastered: number
  onClose: () => void
}) {
  const state = useApp()
  const [deleteData, setDeleteData] = useState(false)
  return (
    <ConfirmDialog
      title={`Untrack ${props.storage.alias}?`}
      confirmLabel={deleteData ? 'Untrack and delete data' : 'Untrack'}
      onClose={props.onClose}
      onConfirm={async () => {
        await send(
          'DELETE',
          `/api/storage-deployments/${props.storage.storage_id}${deleteData ? '?delete_data=true' : ''}`,
        )
        await refresh(state)
      }}
    >
      <p>
        FaDO removes the replica copies it made on this server and of the buckets mastered here;
        buckets whose replicas lived here get new ones elsewhere if their policy allows.
      </p>
      {props.mastered > 0 && (
        <label class="check">
          <input
            type="checkbox"
            checked={deleteData}
            onChange={(e) => setDeleteData(e.currentTarget.checked)}
          />
          Also delete the {props.mastered} bucket{props.mastered === 1 ? '' : 's'} mastered here,
          with their data (otherwise the data stays on the server, untracked)
        </label>
      )}
    </ConfirmDialog>
  )
}

function TrackDialog(props: { onClose: () => void }) {
  const state = useApp()
  const clusters = state.resources.value?.clusters ?? []
  const [form, setForm] = useState({
    alias: '',
    cluster_id: clusters[0]?.cluster_id ?? 0,
    endpoint: '',
    use_ssl: false,
    access_key: '',
    secret_key: '',
    management_url: '',
    kind: 'minio' as 'minio' | 's3',
    region: 'us-east-1',
    addressing: 'path' as 'path' | 'virtual',
    configure_webhook: true,
  })
  const set = <K extends keyof typeof form>(key: K, value: (typeof form)[K]) =>
    setForm((f) => ({ ...f, [key]: value }))
  return (
    <FormDialog
      title="Track a storage deployment"
      submitLabel="Check and track"
      busyLabel="Checking connection…"
      fields={[
        'alias',
        'cluster_id',
        'endpoint',
        'use_ssl',
        'access_key',
        'secret_key',
        'management_url',
        'kind',
        'region',
        'addressing',
        'configure_webhook',
      ]}
      onClose={props.onClose}
      onSubmit={async () => {
        const { kind, region, addressing, configure_webhook, ...common } = form
        await send('POST', '/api/storage-deployments', {
          ...common,
          alias: form.alias.trim(),
          endpoint: form.endpoint.trim(),
          management_url: form.management_url.trim(),
          kind,
          ...(kind === 's3' ? { region: region.trim(), addressing } : { configure_webhook }),
        })
        await refresh(state)
      }}
      wide
    >
      <div class="grid-2">
        <SelectField
          name="kind"
          label="Kind"
          hint={
            form.kind === 'minio'
              ? 'Admin credentials: webhooks, event stream, batched copies'
              : 'Any S3-compatible server (SeaweedFS, Ceph, Garage, AWS S3): plain S3 rights'
          }
          value={form.kind}
          onValue={(v) => set('kind', v as 'minio' | 's3')}
          options={[
            { value: 'minio', label: 'MinIO' },
            { value: 's3', label: 'Other S3-compatible server' },
          ]}
        />
        {form.kind === 's3' && (
          <TextField
            name="region"
            label="Region"
            value={form.region}
            onValue={(v) => set('region', v)}
          />
        )}
        <TextField
          name="alias"
          label="Alias"
          value={form.alias}
          onValue={(v) => set('alias', v)}
          autofocus
        />
        <ClusterSelect value={form.cluster_id} onValue={(v) => set('cluster_id', v)} />
        <TextField
          name="endpoint"
          label="Endpoint"
          hint="host:port of the S3 API, e.g. 127.0.0.1:9000"
          value={form.endpoint}
          onValue={(v) => set('endpoint', v)}
        />
        <TextField
          name="management_url"
          label="Console URL (optional)"
          type="url"
          value={form.management_url}
          onValue={(v) => set('management_url', v)}
        />
        <TextField
          name="access_key"
          label="Access key"
          autocomplete="off"
          value={form.access_key}
          onValue={(v) => set('access_key', v)}
        />
        <TextField
          name="secret_key"
          label="Secret key"
          hint="Stored by FaDO, never shown again"
          type="password"
          autocomplete="new-password"
          value={form.secret_key}
          onValue={(v) => set('secret_key', v)}
        />
      </div>
      <CheckField name="use_ssl" checked={form.use_ssl} onValue={(v) => set('use_ssl', v)}>
        Use HTTPS
      </CheckField>
      {form.kind === 's3' ? (
        <CheckField
          name="addressing"
          checked={form.addressing === 'virtual'}
          onValue={(v) => set('addressing', v ? 'virtual' : 'path')}
        >
          Virtual-host addressing (bucket.host/key, as AWS S3 prefers)
        </CheckField>
      ) : (
        <CheckField
          name="configure_webhook"
          checked={form.configure_webhook}
          onValue={(v) => set('configure_webhook', v)}
        >
          Configure FaDO's webhook on this MinIO if it has none (restarts the server once), so
          direct writes reach replicas within a second
        </CheckField>
      )}
    </FormDialog>
  )
}
