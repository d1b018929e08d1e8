/**
 * Buckets: master copy, replica policy (zones, target count, manual locations) and the state of
 * every replica (thesis §6.2, fig. B.12–B.16).
 */
import { useState } from 'preact/hooks'
import { send } from '../api.js'
import { useApp } from '../state.js'
import {
  Badge,
  Empty,
  formatBytes,
  formatDuration,
  formatTime,
  PageHeader,
  parseList,
  REPLICA_TONE,
  Zones,
} from '../components/common.js'
import { CheckboxesField, FormDialog, SelectField, TextField } from '../components/dialog.js'
import { DataTable, ConfirmButton } from '../components/table.js'
import { useAction } from '../components/use-action.js'
import { useDialog } from '../components/use-dialog.js'
import { Link } from '../router.js'
import { refresh } from '../state.js'
import type { Bucket, Resources } from '../types.js'

export function BucketsPage() {
  const state = useApp()
  const r = state.resources.value as Resources
  const { dialog, open } = useDialog()
  const alias = state.storageAlias.value
  return (
    <>
      <PageHeader
        title="Buckets"
        intro="Each bucket has a master copy and replicas placed by its policy. Invocations are routed to clusters holding a synced copy."
      >
        <button
          type="button"
          class="primary"
          disabled={r.storage_deployments.length === 0}
          onClick={() => open((close) => <BucketDialog bucket={undefined} onClose={close} />)}
        >
          Create bucket
        </button>
      </PageHeader>
      {r.storage_deployments.length === 0 && (
        <p class="alert info">
          Track a <Link href="/storage">storage deployment</Link> first: a bucket needs a master.
        </p>
      )}
      {r.buckets.length === 0 ? (
        <Empty>No buckets yet.</Empty>
      ) : (
        <DataTable columns={['Name', 'Master', 'Zones', 'Replicas wanted', 'Replicas', 'Demand']}>
          {r.buckets.map((b) => (
            <tr key={b.bucket_id}>
              <th scope="row">
                <Link href={`/objects/${encodeURIComponent(b.name)}`}>{b.name}</Link>
                <div class="muted small">
                  {b.object_count} object{b.object_count === 1 ? '' : 's'},{' '}
                  {formatBytes(b.total_bytes)}
                </div>
              </th>
              <td>{alias(b.storage_id)}</td>
              <td>
                <Zones zones={b.zones} />
              </td>
              <td>
                {b.replica_locations
                  ? `manual: ${b.replica_locations.map(alias).join(', ') || 'none'}`
                  : b.target_replica_count}
                {b.data_path === 'agents' && (
                  <div class="muted small">bytes through agents only</div>
                )}
              </td>
              <td>
                {b.replicas.length === 0 ? (
                  <span class="muted">master only</span>
                ) : (
                  <ul class="replicas" aria-label={`replicas of ${b.name}`}>
                    {b.replicas.map((rep) => (
                      <li key={rep.storage_id}>
                        {alias(rep.storage_id)}{' '}
                        <Badge tone={REPLICA_TONE[rep.status]}>{rep.status}</Badge>
                        {rep.origin === 'demand' && (
                          <>
                            {' '}
                            <Badge tone="busy" title={rep.reason ?? undefined}>
                              on demand
                            </Badge>
                          </>
                        )}
                        {rep.error && <div class="replica-error">{rep.error}</div>}
                        {rep.last_full_pass_at && (
                          <div
                            class="muted small"
                            aria-label={`last verified ${alias(rep.storage_id)}`}
                          >
                            verified {formatTime(rep.last_full_pass_at)}:{' '}
                            {(rep.last_full_pass_objects ?? 0).toLocaleString()} object
                            {rep.last_full_pass_objects === 1 ? '' : 's'} compared in{' '}
                            {formatDuration(rep.last_full_pass_ms ?? 0)}
                          </div>
                        )}
                        {rep.repaired_objects > 0 && (
                          <div class="muted small">
                            {rep.repaired_objects} repaired from master, last{' '}
                            {formatTime(rep.last_repair_at)}
                          </div>
                        )}
                      </li>
                    ))}
                  </ul>
                )}
              </td>
              <td>
                <Demand bucket={b} />
              </td>
              <td class="row-actions">
                {b.replicas.length > 0 && <CheckButton bucket={b} />}
                <button
                  type="button"
                  aria-label={`Edit policy of ${b.name}`}
                  onClick={() => open((close) => <BucketDialog bucket={b} onClose={close} />)}
                >
                  Policy
                </button>
                <ConfirmButton
                  open={open}
                  label={`Delete ${b.name}`}
                  text="Delete"
                  title={`Delete bucket ${b.name}?`}
                  confirmLabel="Delete bucket and data"
                  onConfirm={async () => {
                    await send('DELETE', `/api/buckets/${b.bucket_id}`)
                    await refresh(state)
                  }}
                >
                  <p>
                    This deletes the bucket and its {b.object_count} object
                    {b.object_count === 1 ? '' : 's'} from {alias(b.storage_id)} and from every
                    replica. It cannot be undone.
                  </p>
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

/**
 * Asks FaDO for a full pass over the bucket now instead of at the next periodic one (every
 * minute): replicas changed behind its back are repaired, and the list above says so.
 */
function CheckButton(props: { bucket: Bucket }) {
  const state = useApp()
  const { busy, error, run } = useAction(async () => {
    await send('POST', `/api/buckets/${props.bucket.bucket_id}/sync`)
    await refresh(state)
  })
  return (
    <>
      <button
        type="button"
        aria-label={`Check replicas of ${props.bucket.name}`}
        title="Compare every replica with the master now and repair what differs"
        disabled={busy}
        onClick={run}
      >
        Check now
      </button>
      {error && (
        <span class="replica-error" role="alert">
          {error}
        </span>
      )}
    </>
  )
}

/** Create a bucket, or change an existing bucket's replica policy (name and master are fixed). */
function BucketDialog(props: { bucket: Bucket | undefined; onClose: () => void }) {
  const state = useApp()
  const storages = state.resources.value?.storage_deployments ?? []
  const b = props.bucket
  const [name, setName] = useState(b?.name ?? '')
  const [master, setMaster] = useState(b?.storage_id ?? storages[0]?.storage_id ?? 0)
  const [zones, setZones] = useState(b?.zones.join(', ') ?? '')
  const [target, setTarget] = useState(String(b?.target_replica_count ?? 0))
  const [manual, setManual] = useState(b?.replica_locations != null)
  const [locations, setLocations] = useState<number[]>(b?.replica_locations ?? [])
  const [dataPath, setDataPath] = useState<'any' | 'agents'>(b?.data_path ?? 'any')
  const [onDemand, setOnDemand] = useState(b?.demand?.enabled ?? false)
  const [demand, setDemand] = useState({
    min_rate_per_min: String(b?.demand?.min_rate_per_min ?? 60),
    window_s: String(b?.demand?.window_s ?? 300),
    ttl_s: String(b?.demand?.ttl_s ?? 1800),
    max_replicas: String(b?.demand?.max_replicas ?? 2),
    size_unit_mib: String((b?.demand?.size_unit_bytes ?? 1024 ** 3) / 1024 ** 2),
  })
  const demandField = (key: keyof typeof demand) => ({
    name: `demand.${key}`,
    value: demand[key],
    onValue: (v: string) => setDemand((d) => ({ ...d, [key]: v })),
    type: 'number' as const,
  })
  const candidates = storages.filter((s) => s.storage_id !== master)
  return (
    <FormDialog
      title={b ? `Replica policy of ${b.name}` : 'Create bucket'}
      submitLabel={b ? 'Save policy' : 'Create bucket'}
      fields={[
        'name',
        'storage_id',
        'zones',
        'target_replica_count',
        'replica_locations',
        'data_path',
        'demand',
        'demand.min_rate_per_min',
        'demand.window_s',
        'demand.ttl_s',
        'demand.max_replicas',
        'demand.size_unit_bytes',
      ]}
      onClose={props.onClose}
      onSubmit={async () => {
        const policy = {
          zones: parseList(zones),
          target_replica_count: target.trim() === '' ? Number.NaN : Number(target),
          replica_locations: manual ? locations.filter((id) => id !== master) : null,
          data_path: dataPath,
          demand: onDemand
            ? {
                enabled: true,
                min_rate_per_min: Number(demand.min_rate_per_min),
                window_s: Number(demand.window_s),
                ttl_s: Number(demand.ttl_s),
                max_replicas: Number(demand.max_replicas),
                size_unit_bytes: Math.round(Number(demand.size_unit_mib) * 1024 ** 2),
              }
            : null,
        }
        if (b) await send('PUT', `/api/buckets/${b.bucket_id}`, policy)
        else
          await send('POST', '/api/buckets', { name: name.trim(), storage_id: master, ...policy })
        await refresh(state)
      }}
      wide
    >
      {!b && (
        <div class="grid-2">
          <TextField
            name="name"
            label="Name"
            hint="S3 rules: 3–63 lowercase letters, digits, dots, hyphens"
            value={name}
            onValue={setName}
            autofocus
          />
          <SelectField
            name="storage_id"
            label="Master copy on"
            value={master}
            onValue={(v) => setMaster(Number(v))}
            options={storages.map((s) => ({
              value: s.storage_id,
              label: `${s.alias} (${state.clusterName.value(s.cluster_id)})`,
            }))}
          />
        </div>
      )}
      <div class="grid-2">
        <TextField
          name="zones"
          label="Allowed zones"
          hint="Comma-separated; empty = any cluster"
          value={zones}
          onValue={setZones}
          autofocus={!!b}
        />
        <TextField
          name="target_replica_count"
          label="Replicas wanted"
          hint="Besides the master copy"
          type="number"
          min={0}
          max={100}
          value={target}
          disabled={manual}
          onValue={setTarget}
        />
      </div>
      <fieldset class="placement">
        <legend>Placement</legend>
        <label class="check">
          <input
            type="radio"
            name="placement"
            checked={!manual}
            onChange={() => setManual(false)}
          />
          Automatic: FaDO picks deployments in the allowed zones
        </label>
        <label class="check">
          <input type="radio" name="placement" checked={manual} onChange={() => setManual(true)} />
          Manual: replicas exactly on these deployments
        </label>
        {manual && (
          <CheckboxesField
            name="replica_locations"
            label="Replica locations"
            selected={locations}
            onSelected={setLocations}
            empty="No other storage deployment."
            options={candidates.map((s) => ({
              value: s.storage_id,
              label: `${s.alias} (${state.clusterName.value(s.cluster_id)})`,
            }))}
          />
        )}
      </fieldset>
      <SelectField
        name="data_path"
        label="Bytes travel"
        hint="Agents (fado agent) copy between storages next to them; control copies only where no agent runs"
        value={dataPath}
        onValue={(v) => setDataPath(v as 'any' | 'agents')}
        options={[
          { value: 'any', label: 'through agents where they run, else through control' },
          { value: 'agents', label: 'only through agents: never through control (replicas wait)' },
        ]}
      />
      <fieldset>
        <legend>Replicas on demand</legend>
        <label class="check">
          <input
            type="checkbox"
            name="demand"
            checked={onDemand}
            onChange={(e) => setOnDemand(e.currentTarget.checked)}
          />
          Add a replica in a zone (within the allowed zones) whose invocations are served elsewhere,
          and remove it when they go
        </label>
        {onDemand && (
          <div class="grid-2">
            <TextField
              label="Rate that earns a replica (invocations/min)"
              hint="From one zone, served outside it; each GiB of the bucket adds as much again"
              {...demandField('min_rate_per_min')}
            />
            <TextField label="Measured over (s)" hint="10 to 900" {...demandField('window_s')} />
            <TextField
              label="Kept after demand goes (s)"
              hint="Once the zone's rate is under half the threshold"
              {...demandField('ttl_s')}
            />
            <TextField label="Replicas on demand, at most" {...demandField('max_replicas')} />
            <TextField
              label="Size unit (MiB)"
              hint="Each this much of the bucket adds the rate above again to what earns a replica"
              {...demandField('size_unit_mib')}
              name="demand.size_unit_bytes"
            />
          </div>
        )}
      </fieldset>
    </FormDialog>
  )
}

/**
 * Invocations per zone of the edges that took them, over the demand window; with replicas on
 * demand, the zones held back and the last decision, with why.
 */
function Demand({ bucket }: { bucket: Bucket }) {
  const last = bucket.demand_decisions[0]
  return (
    <>
      {bucket.demand_by_zone.length === 0 ? (
        <span class="muted">none yet</span>
      ) : (
        <DemandByZone bucket={bucket} />
      )}
      {bucket.demand?.enabled && <div class="muted small">replicas on demand</div>}
      {bucket.demand_held.map((h) => (
        <div key={h.zone} class="muted small" aria-label={`held ${h.zone}`}>
          {h.reason}
        </div>
      ))}
      {last && (
        <div class="muted small" aria-label={`last demand decision for ${bucket.name}`}>
          {formatTime(last.at)}: {last.reason}
        </div>
      )}
    </>
  )
}

function DemandByZone({ bucket }: { bucket: Bucket }) {
  return (
    <ul class="demand" aria-label={`demand for ${bucket.name}`}>
      {bucket.demand_by_zone.map((d) => (
        <li key={d.zone ?? ''}>
          <span class="mono">{d.zone ?? 'no zone'}</span> {d.per_min.toLocaleString()}/min
          {d.remote > 0 && (
            <span class="muted small">
              {' '}
              · {Math.round((d.remote / d.invocations) * 100)}% served elsewhere
            </span>
          )}
        </li>
      ))}
    </ul>
  )
}
