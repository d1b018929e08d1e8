/** Clusters and their zones (thesis §6.1, fig. B.2–B.4). */
import { useEffect, useState } from 'preact/hooks'
import { send } from '../api.js'
import { useApp } from '../state.js'
import {
  Badge,
  Empty,
  formatBytes,
  formatTime,
  PageHeader,
  parseList,
  Zones,
} from '../components/common.js'
import { FormDialog, TextField } from '../components/dialog.js'
import { DataTable, EditDeleteCell } from '../components/table.js'
import { useDialog } from '../components/use-dialog.js'
import { refresh } from '../state.js'
import type { AgentView, Cluster, Resources } from '../types.js'

export function ClustersPage() {
  const state = useApp()
  const r = state.resources.value as Resources
  const { dialog, open } = useDialog()
  const edit = (cluster?: Cluster) =>
    open((close) => <ClusterDialog cluster={cluster} onClose={close} />)
  return (
    <>
      <PageHeader
        title="Clusters"
        intro="Places that hold FaaS and storage deployments. Zones are the labels bucket policies choose replica locations by."
      >
        <button type="button" class="primary" onClick={() => edit()}>
          Add cluster
        </button>
      </PageHeader>
      {r.clusters.length === 0 ? (
        <Empty>No clusters yet. Add one to start placing functions and data.</Empty>
      ) : (
        <DataTable columns={['Name', 'Zones', 'FaaS', 'Storage']}>
          {r.clusters.map((c) => (
            <tr key={c.cluster_id}>
              <th scope="row">{c.name}</th>
              <td>
                <Zones zones={c.zones} />
              </td>
              <td>{r.faas_deployments.filter((f) => f.cluster_id === c.cluster_id).length}</td>
              <td>{r.storage_deployments.filter((s) => s.cluster_id === c.cluster_id).length}</td>
              <EditDeleteCell
                open={open}
                name={c.name}
                onEdit={() => edit(c)}
                title={`Delete cluster ${c.name}?`}
                confirmLabel="Delete cluster"
                path={`/api/clusters/${c.cluster_id}`}
                onDeleted={() => refresh(state)}
              >
                <p>
                  Its FaaS deployments are removed with it and stop receiving invocations. A cluster
                  that still holds storage deployments cannot be deleted: untrack them first.
                </p>
              </EditDeleteCell>
            </tr>
          ))}
        </DataTable>
      )}
      <AgentsSection />
      {dialog}
    </>
  )
}

/**
 * The agents (fado agent) that reported themselves: where they run, whether control counts on
 * them, what they hold and what they moved. Read every 5 s while the page is open.
 */
function AgentsSection() {
  const state = useApp()
  const [agents, setAgents] = useState<AgentView[] | undefined>(undefined)
  const [error, setError] = useState<string | undefined>(undefined)
  useEffect(() => {
    const load = () =>
      send<AgentView[]>('GET', '/api/agents').then(
        (a) => {
          setAgents(a)
          setError(undefined)
        },
        (err: Error) => setError(err.message),
      )
    void load()
    const timer = setInterval(() => void load(), 5_000)
    return () => clearInterval(timer)
  }, [])
  return (
    <section class="page-section" aria-labelledby="agents-title">
      <h2 id="agents-title">Agents</h2>
      <p class="muted">
        Processes next to a cluster's storage that move replica bytes over their own links (fado
        agent, with an agent token of that cluster). Where none runs, control copies.
      </p>
      {error && (
        <p class="alert error" role="alert">
          {error}
        </p>
      )}
      {agents === undefined ? (
        <p class="muted">Loading…</p>
      ) : agents.length === 0 ? (
        <Empty>No agent has reported itself: control copies every replica's bytes.</Empty>
      ) : (
        <DataTable
          columns={['Agent', 'Cluster', 'Version', 'Last seen', 'In flight', 'Moved']}
          caption="Agents"
        >
          {agents.map((a) => (
            <tr key={a.agent_id}>
              <th scope="row">
                {a.agent_id} <Badge tone={a.live ? 'ok' : 'bad'}>{a.live ? 'live' : 'gone'}</Badge>
              </th>
              <td>{state.clusterName.value(a.cluster_id)}</td>
              <td>{a.version}</td>
              <td>{formatTime(a.last_seen_at)}</td>
              <td>{a.in_flight}</td>
              <td>
                {formatBytes(a.bytes_moved)}, {a.objects_moved.toLocaleString()} object
                {a.objects_moved === 1 ? '' : 's'}
                {a.work_failed > 0 && <div class="muted small">{a.work_failed} failed</div>}
                {a.reports_refused > 0 && (
                  <div class="muted small">{a.reports_refused} late results refused</div>
                )}
              </td>
            </tr>
          ))}
        </DataTable>
      )}
    </section>
  )
}

function ClusterDialog(props: { cluster: Cluster | undefined; onClose: () => void }) {
  const state = useApp()
  const [name, setName] = useState(props.cluster?.name ?? '')
  const [zones, setZones] = useState(props.cluster?.zones.join(', ') ?? '')
  return (
    <FormDialog
      title={props.cluster ? `Edit cluster ${props.cluster.name}` : 'Add cluster'}
      submitLabel={props.cluster ? 'Save' : 'Add cluster'}
      fields={['name', 'zones']}
      onClose={props.onClose}
      onSubmit={async () => {
        const body = { name: name.trim(), zones: parseList(zones) }
        if (props.cluster) await send('PUT', `/api/clusters/${props.cluster.cluster_id}`, body)
        else await send('POST', '/api/clusters', body)
        await refresh(state)
      }}
    >
      <TextField name="name" label="Name" value={name} onValue={setName} autofocus />
      <TextField
        name="zones"
        label="Zones"
        hint="Comma-separated, e.g. germany, high-performance"
        value={zones}
        onValue={setZones}
      />
    </FormDialog>
  )
}
