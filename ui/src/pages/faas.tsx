/** FaaS deployments: function endpoints per cluster (thesis §6.1, fig. B.5–B.7). */
import { useState } from 'preact/hooks'
import { send } from '../api.js'
import { useApp } from '../state.js'
import { Empty, PageHeader } from '../components/common.js'
import { FormDialog, TextField } from '../components/dialog.js'
import { DataTable, EditDeleteCell } from '../components/table.js'
import { ClusterSelect, NeedsCluster } from '../components/clusters.js'
import { useDialog } from '../components/use-dialog.js'
import { refresh } from '../state.js'
import type { FaasDeployment, Resources } from '../types.js'

export function FaasPage() {
  const state = useApp()
  const r = state.resources.value as Resources
  const { dialog, open } = useDialog()
  const edit = (faas?: FaasDeployment) =>
    open((close) => <FaasDialog faas={faas} onClose={close} />)
  return (
    <>
      <PageHeader
        title="FaaS deployments"
        intro="HTTP endpoints that run functions (an OpenFaaS gateway, a Knative service…). The edge forwards invocations to the ones in clusters that hold the bucket."
      >
        <button
          type="button"
          class="primary"
          onClick={() => edit()}
          disabled={r.clusters.length === 0}
        >
          Add FaaS deployment
        </button>
      </PageHeader>
      <NeedsCluster />
      {r.faas_deployments.length === 0 ? (
        <Empty>No FaaS deployments yet.</Empty>
      ) : (
        <DataTable columns={['ID', 'URL', 'Cluster']}>
          {r.faas_deployments.map((f) => (
            <tr key={f.faas_id}>
              <td>{f.faas_id}</td>
              <th scope="row" class="mono">
                {f.url}
              </th>
              <td>{state.clusterName.value(f.cluster_id)}</td>
              <EditDeleteCell
                open={open}
                name={f.url}
                onEdit={() => edit(f)}
                title="Delete FaaS deployment?"
                confirmLabel="Delete deployment"
                path={`/api/faas-deployments/${f.faas_id}`}
                onDeleted={() => refresh(state)}
              >
                <p>
                  <code>{f.url}</code> stops receiving invocations as soon as the edge applies the
                  next route snapshot.
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

function FaasDialog(props: { faas: FaasDeployment | undefined; onClose: () => void }) {
  const state = useApp()
  const clusters = state.resources.value?.clusters ?? []
  const [url, setUrl] = useState(props.faas?.url ?? '')
  const [clusterId, setClusterId] = useState(props.faas?.cluster_id ?? clusters[0]?.cluster_id ?? 0)
  return (
    <FormDialog
      title={props.faas ? 'Edit FaaS deployment' : 'Add FaaS deployment'}
      submitLabel={props.faas ? 'Save' : 'Add deployment'}
      fields={['url', 'cluster_id']}
      onClose={props.onClose}
      onSubmit={async () => {
        const body = { url: url.trim(), cluster_id: clusterId }
        if (props.faas) await send('PUT', `/api/faas-deployments/${props.faas.faas_id}`, body)
        else await send('POST', '/api/faas-deployments', body)
        await refresh(state)
      }}
    >
      <ClusterSelect value={clusterId} onValue={setClusterId} />
      <TextField
        name="url"
        label="URL"
        hint="http or https, may carry a path prefix, e.g. https://gw.example.org/function"
        type="url"
        placeholder="http://127.0.0.1:8080"
        value={url}
        onValue={setUrl}
        autofocus
      />
    </FormDialog>
  )
}
