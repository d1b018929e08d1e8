/**
 * Functions: what invocations name with X-FaDO-Function — the zones a cluster must have to run
 * one, and per FaaS deployment its trigger (a path under the deployment's URL, as OpenFaaS's
 * /function/<name>, or a URL of its own, as a Knative host or a Lambda function URL).
 */
import { useState } from 'preact/hooks'
import { send } from '../api.js'
import { useApp } from '../state.js'
import { Empty, PageHeader, parseList, Zones } from '../components/common.js'
import { FormDialog, TextField } from '../components/dialog.js'
import { DataTable, EditDeleteCell } from '../components/table.js'
import { useDialog } from '../components/use-dialog.js'
import { refresh } from '../state.js'
import type { FunctionDef, Resources } from '../types.js'

export function FunctionsPage() {
  const state = useApp()
  const r = state.resources.value as Resources
  const { dialog, open } = useDialog()
  const edit = (fn?: FunctionDef) => open((close) => <FunctionDialog fn={fn} onClose={close} />)
  const faasUrl = (id: number) => r.faas_deployments.find((f) => f.faas_id === id)
  const header = r.load_balancer.settings.function_header
  return (
    <>
      <PageHeader
        title="Functions"
        intro={`An invocation naming a function (${header}: <name>) goes only to FaaS deployments that hold the bucket's data, have a trigger for the function and are in every zone it requires — at the trigger's path or URL.`}
      >
        <button
          type="button"
          class="primary"
          onClick={() => edit()}
          disabled={r.faas_deployments.length === 0}
        >
          Add function
        </button>
      </PageHeader>
      {r.faas_deployments.length === 0 && (
        <p class="alert">Add a FaaS deployment first: triggers name one.</p>
      )}
      {r.functions.length === 0 ? (
        <Empty>No functions yet.</Empty>
      ) : (
        <DataTable columns={['Name', 'Required zones', 'Triggers']}>
          {r.functions.map((fn) => (
            <tr key={fn.function_id}>
              <th scope="row">{fn.name}</th>
              <td>
                <Zones zones={fn.zones} />
              </td>
              <td>
                {fn.triggers.length === 0 ? (
                  <span class="muted">none</span>
                ) : (
                  <ul class="plain" aria-label={`triggers of ${fn.name}`}>
                    {fn.triggers.map((t) => {
                      const faas = faasUrl(t.faas_id)
                      return (
                        <li key={t.faas_id}>
                          <span>{faas ? state.clusterName.value(faas.cluster_id) : '?'}</span>
                          {' → '}
                          <code>
                            {t.target.startsWith('/') ? `${faas?.url ?? ''}${t.target}` : t.target}
                          </code>
                        </li>
                      )
                    })}
                  </ul>
                )}
              </td>
              <EditDeleteCell
                open={open}
                name={fn.name}
                onEdit={() => edit(fn)}
                title={`Delete function ${fn.name}?`}
                confirmLabel="Delete function"
                path={`/api/functions/${fn.function_id}`}
                onDeleted={() => refresh(state)}
              >
                <p>
                  Invocations naming <code>{fn.name}</code> are answered 404 as soon as the edge
                  applies the next route snapshot. The FaaS deployments are not touched.
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

function FunctionDialog(props: { fn: FunctionDef | undefined; onClose: () => void }) {
  const state = useApp()
  const r = state.resources.value as Resources
  const [name, setName] = useState(props.fn?.name ?? '')
  const [zones, setZones] = useState(props.fn?.zones.join(', ') ?? '')
  // One target per FaaS deployment; empty = no trigger there.
  const [targets, setTargets] = useState<Record<number, string>>(
    Object.fromEntries((props.fn?.triggers ?? []).map((t) => [t.faas_id, t.target])),
  )
  const filled = r.faas_deployments.filter((f) => (targets[f.faas_id] ?? '').trim() !== '')
  // The API names a trigger by its place in the list sent: triggers[i].target.
  const fieldOf = (faasId: number) => {
    const i = filled.findIndex((f) => f.faas_id === faasId)
    return i < 0 ? `trigger-${faasId}` : `triggers[${i}]`
  }
  return (
    <FormDialog
      title={props.fn ? `Edit function ${props.fn.name}` : 'Add function'}
      submitLabel={props.fn ? 'Save' : 'Add function'}
      fields={['name', 'zones', 'triggers']}
      wide
      onClose={props.onClose}
      onSubmit={async () => {
        const body = {
          name: name.trim(),
          zones: parseList(zones),
          triggers: filled.map((f) => ({
            faas_id: f.faas_id,
            target: (targets[f.faas_id] ?? '').trim(),
          })),
        }
        if (props.fn) await send('PUT', `/api/functions/${props.fn.function_id}`, body)
        else await send('POST', '/api/functions', body)
        await refresh(state)
      }}
    >
      <TextField name="name" label="Name" value={name} onValue={setName} autofocus />
      <TextField
        name="zones"
        label="Required zones"
        hint="Comma-separated; a cluster must have every one, e.g. gpu. Empty: any cluster."
        value={zones}
        onValue={setZones}
      />
      <fieldset class="triggers">
        <legend>Triggers</legend>
        <p class="hint">
          Per FaaS deployment: a path appended to its URL (<code>/function/resize</code>), or a URL
          of the function's own (<code>https://resize.example.org</code>). Empty: not deployed
          there.
        </p>
        {r.faas_deployments.map((f) => (
          <TextField
            key={f.faas_id}
            name={fieldOf(f.faas_id)}
            label={`Trigger on ${f.url} (${state.clusterName.value(f.cluster_id)})`}
            placeholder="/function/name"
            value={targets[f.faas_id] ?? ''}
            onValue={(v) => setTargets({ ...targets, [f.faas_id]: v })}
          />
        ))}
      </fieldset>
    </FormDialog>
  )
}
