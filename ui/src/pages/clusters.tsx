/** Clusters and their zones (thesis §6.1, fig. B.2–B.4). */
import { useState } from 'preact/hooks'
import { send } from '../api.js'
import { useApp } from '../state.js'
import { Empty, PageHeader, parseList, Zones } from '../components/common.js'
import { FormDialog, TextField } from '../components/dialog.js'
import { DataTable, EditDeleteCell } from '../components/table.js'
import { useDialog } from '../components/use-dialog.js'
import { refresh } from '../state.js'
import type { Cluster, Resources } from '../types.js'

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
      {dialog}
    </>
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
