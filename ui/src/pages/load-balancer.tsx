/**
 * Load balancer: global settings, the routes the edge serves with upstream health, per-bucket
 * overrides and the raw route snapshot (thesis §6.2, fig. B.21–B.25).
 */
import { useEffect, useState } from 'preact/hooks'
import { send } from '../api.js'
import { useApp } from '../state.js'
import { Badge, Empty, PageHeader } from '../components/common.js'
import {
  CheckboxesField,
  Dialog,
  Form,
  FormDialog,
  SelectField,
  TextField,
} from '../components/dialog.js'
import { DataTable } from '../components/table.js'
import { useDialog } from '../components/use-dialog.js'
import { refresh } from '../state.js'
import { HooksSection } from './hooks.js'
import {
  POLICIES,
  type LoadBalancerSettings,
  type PolicyName,
  type Resources,
  type RouteOverride,
  type UpstreamHealth,
} from '../types.js'

const POLICY_OPTIONS = POLICIES.map((p) => ({ value: p, label: p }))
const LOCALITY_OPTIONS = [
  { value: 'prefer', label: "prefer the edge's zone" },
  { value: 'off', label: 'off (zones do not matter)' },
]

export function LoadBalancerPage() {
  const state = useApp()
  const r = state.resources.value as Resources
  const lb = r.load_balancer
  const { dialog, open } = useDialog()
  const health = new Map<number, UpstreamHealth>(lb.edge?.upstreams.map((u) => [u.id, u]))
  // The in-process edge's zone: which upstreams are local to it.
  const zone = lb.edge?.zone ?? null
  const localClusters = new Set(
    zone === null ? [] : r.clusters.filter((c) => c.zones.includes(zone)).map((c) => c.name),
  )
  const routes = Object.entries(lb.routes).sort(([a], [b]) => a.localeCompare(b))
  const unrouted = r.buckets.filter((b) => !lb.routes[b.name])
  return (
    <>
      <PageHeader
        title="Load balancer"
        intro={`Invocations carry ${lb.settings.match_header}: <bucket>; the edge sends each to a FaaS deployment in a cluster holding a synced copy.`}
      >
        <button type="button" onClick={() => open((close) => <SnapshotDialog onClose={close} />)}>
          View raw snapshot
        </button>
      </PageHeader>

      <section class="panel" aria-labelledby="settings-title">
        <h2 id="settings-title">Settings</h2>
        <SettingsForm />
      </section>

      <section aria-labelledby="routes-title">
        <h2 id="routes-title">
          Routes <span class="muted small">snapshot version {lb.snapshot_version}</span>
        </h2>
        {lb.edge && (
          <p class="muted">
            {zone === null
              ? 'This edge has no zone (start it with --edge-zone to prefer clusters in its zone).'
              : `This edge stands in zone ${zone}: upstreams marked local are preferred where the locality setting says so.`}
          </p>
        )}
        {routes.length === 0 ? (
          <Empty>
            No routes yet: a bucket gets one when a cluster holding it has a FaaS deployment.
          </Empty>
        ) : (
          <DataTable columns={['Bucket', 'Policy', 'Upstreams']}>
            {routes.map(([bucket, route]) => {
              const override = lb.route_overrides[bucket]
              return (
                <tr key={bucket}>
                  <th scope="row">{bucket}</th>
                  <td>
                    <code>{route.policy}</code> {override && <Badge tone="busy">override</Badge>}
                    {route.locality && <span class="muted small"> locality {route.locality}</span>}
                  </td>
                  <td>
                    <ul class="upstreams">
                      {route.upstreams.map((u) => {
                        const h = health.get(u.id)
                        return (
                          <li key={u.id}>
                            <span class="mono">{u.url}</span>{' '}
                            <span class="muted">({u.cluster})</span>{' '}
                            {localClusters.has(u.cluster) && (
                              <>
                                <Badge tone="ok">local</Badge>{' '}
                              </>
                            )}
                            {h ? (
                              <>
                                <Badge
                                  tone={h.healthy ? 'ok' : 'bad'}
                                  title={
                                    h.ejected_until ? `ejected until ${h.ejected_until}` : undefined
                                  }
                                >
                                  {h.healthy ? 'healthy' : 'unhealthy'}
                                </Badge>{' '}
                                {h.probe && (
                                  <>
                                    <Badge tone={h.probe === 'healthy' ? 'ok' : 'bad'}>
                                      {h.probe === 'healthy' ? 'probe passes' : 'probe fails'}
                                    </Badge>{' '}
                                  </>
                                )}
                                <span class="muted small">
                                  {h.latency_ms === null ? 'no calls yet' : `${h.latency_ms} ms`}
                                  {h.inflight > 0 ? ` · ${h.inflight} in flight` : ''}
                                </span>
                              </>
                            ) : null}
                          </li>
                        )
                      })}
                    </ul>
                  </td>
                  <td class="row-actions">
                    <button
                      type="button"
                      aria-label={`Override route of ${bucket}`}
                      onClick={() =>
                        open((close) => <OverrideDialog bucket={bucket} onClose={close} />)
                      }
                    >
                      Override
                    </button>
                    {override && (
                      <button
                        type="button"
                        class="danger-text"
                        aria-label={`Clear override of ${bucket}`}
                        onClick={async () => {
                          await saveOverride(r, bucket, undefined)
                          await refresh(state)
                        }}
                      >
                        Clear
                      </button>
                    )}
                  </td>
                </tr>
              )
            })}
          </DataTable>
        )}
        {unrouted.length > 0 && (
          <p class="muted">
            Not routed yet: {unrouted.map((b) => b.name).join(', ')} (no cluster with a synced copy
            and a FaaS deployment).
          </p>
        )}
        {!lb.edge && (
          <p class="muted">
            Edges run as separate processes here; each reports upstream health at its own
            /_fado/status.
          </p>
        )}
      </section>
      <HooksSection />
      {dialog}
    </>
  )
}

/** The settings as the form edits them: every field a string, as typed. */
interface SettingsDraft {
  default_policy: string
  match_header: string
  function_header: string
  allow_partial: boolean
  locality: string
  retries: string
  retry_budget_percent: string
  hash_balance_factor: string
  health_check: boolean
  hc_path: string
  hc_interval_ms: string
  hc_timeout_ms: string
  hc_healthy_threshold: string
  hc_unhealthy_threshold: string
}

function draftOf(s: LoadBalancerSettings): SettingsDraft {
  const hc = s.health_check
  return {
    default_policy: s.default_policy,
    match_header: s.match_header,
    function_header: s.function_header,
    allow_partial: s.allow_partial,
    locality: s.locality,
    retries: String(s.retries),
    retry_budget_percent: String(+(s.retry_budget * 100).toFixed(2)),
    hash_balance_factor: String(s.hash_balance_factor),
    health_check: hc !== null,
    hc_path: hc?.path ?? '/',
    hc_interval_ms: String(hc?.interval_ms ?? 5000),
    hc_timeout_ms: String(hc?.timeout_ms ?? 1000),
    hc_healthy_threshold: String(hc?.healthy_threshold ?? 2),
    hc_unhealthy_threshold: String(hc?.unhealthy_threshold ?? 3),
  }
}

/** A number as typed, else the text itself: the API then names the field that is not a number. */
const numberOf = (text: string): number | string =>
  text.trim() !== '' && Number.isFinite(Number(text)) ? Number(text) : text

function bodyOf(d: SettingsDraft) {
  const percent = numberOf(d.retry_budget_percent)
  return {
    default_policy: d.default_policy,
    match_header: d.match_header.trim(),
    function_header: d.function_header.trim(),
    allow_partial: d.allow_partial,
    locality: d.locality,
    retries: numberOf(d.retries),
    retry_budget: typeof percent === 'number' ? +(percent / 100).toFixed(4) : percent,
    hash_balance_factor: numberOf(d.hash_balance_factor),
    health_check: d.health_check
      ? {
          path: d.hc_path.trim(),
          interval_ms: numberOf(d.hc_interval_ms),
          timeout_ms: numberOf(d.hc_timeout_ms),
          healthy_threshold: numberOf(d.hc_healthy_threshold),
          unhealthy_threshold: numberOf(d.hc_unhealthy_threshold),
        }
      : null,
  }
}

function SettingsForm() {
  const state = useApp()
  const settings = (state.resources.value as Resources).load_balancer.settings
  const [draft, setDraft] = useState<SettingsDraft>(() => draftOf(settings))
  const [saved, setSaved] = useState(false)
  // Follow changes made elsewhere until the user starts editing here.
  const [dirty, setDirty] = useState(false)
  const current = JSON.stringify(settings)
  useEffect(() => {
    if (!dirty) setDraft(draftOf(settings))
  }, [current, dirty])
  const edit =
    <K extends keyof SettingsDraft>(key: K) =>
    (value: SettingsDraft[K]) => {
      setDraft((d) => ({ ...d, [key]: value }))
      setDirty(true)
      setSaved(false)
    }
  const text = (key: Exclude<keyof SettingsDraft, 'health_check' | 'allow_partial'>) => ({
    value: draft[key],
    onValue: edit(key),
  })
  return (
    <Form
      submitLabel="Save settings"
      fields={[
        'default_policy',
        'match_header',
        'function_header',
        'allow_partial',
        'locality',
        'retries',
        'retry_budget',
        'hash_balance_factor',
        'health_check',
      ]}
      onSubmit={async () => {
        setSaved(false)
        await send('PUT', '/api/load-balancer/settings', bodyOf(draft))
        await refresh(state)
        setDirty(false)
        setSaved(true)
      }}
    >
      <div class="grid-2">
        <SelectField
          name="default_policy"
          label="Default policy"
          hint="Used by every route without an override"
          {...text('default_policy')}
          options={POLICY_OPTIONS}
        />
        <TextField
          name="match_header"
          label="Bucket header"
          hint="The request header that names the bucket (or several, comma-separated)"
          {...text('match_header')}
        />
        <TextField
          name="function_header"
          label="Function header"
          hint="The request header that names the function (see Functions)"
          {...text('function_header')}
        />
        <SelectField
          name="locality"
          label="Locality"
          hint="prefer: an edge that knows its zone sends invocations to clusters in that zone while one is healthy and not overloaded"
          {...text('locality')}
          options={LOCALITY_OPTIONS}
        />
        <TextField
          name="retries"
          label="Retries"
          hint="Further upstreams tried when one fails, where retrying is safe (0–10)"
          inputMode="numeric"
          {...text('retries')}
        />
        <TextField
          name="retry_budget"
          label="Retry budget (% of requests)"
          hint="Retries stay under this share of requests, so they never multiply load on a failing cluster"
          inputMode="decimal"
          {...text('retry_budget_percent')}
        />
        <TextField
          name="hash_balance_factor"
          label="Hash balance factor"
          hint="For the hash policy: a key moves to its next choice when its upstream has more than this × the mean load (0 = off, e.g. 1.25)"
          inputMode="decimal"
          {...text('hash_balance_factor')}
        />
      </div>
      <label class="check">
        <input
          type="checkbox"
          name="allow_partial"
          checked={draft.allow_partial}
          onChange={(e) => edit('allow_partial')(e.currentTarget.checked)}
        />
        Partial placement: an invocation naming several buckets that no cluster holds all of goes to
        the cluster holding most of their bytes (answered with X-FaDO-Placement: partial) instead of
        503
      </label>
      <fieldset>
        <legend>Active health check</legend>
        <label class="check">
          <input
            type="checkbox"
            name="health_check"
            checked={draft.health_check}
            onChange={(e) => edit('health_check')(e.currentTarget.checked)}
          />
          Probe every upstream (besides watching invocations fail)
        </label>
        {draft.health_check && (
          <div class="grid-2">
            <TextField
              name="health_check.path"
              label="Path"
              hint="Appended to each FaaS deployment's URL; any 2xx or 3xx answer passes"
              {...text('hc_path')}
            />
            <TextField
              name="health_check.interval_ms"
              label="Interval (ms)"
              inputMode="numeric"
              {...text('hc_interval_ms')}
            />
            <TextField
              name="health_check.timeout_ms"
              label="Timeout (ms)"
              inputMode="numeric"
              {...text('hc_timeout_ms')}
            />
            <TextField
              name="health_check.healthy_threshold"
              label="Healthy after (passes in a row)"
              inputMode="numeric"
              {...text('hc_healthy_threshold')}
            />
            <TextField
              name="health_check.unhealthy_threshold"
              label="Unhealthy after (failures in a row)"
              inputMode="numeric"
              {...text('hc_unhealthy_threshold')}
            />
          </div>
        )}
      </fieldset>
      {saved && (
        <p class="alert success" role="status">
          Saved. The edge applies it with the next snapshot.
        </p>
      )}
    </Form>
  )
}

/** Route overrides are one map; change this bucket's entry and put the whole map back. */
async function saveOverride(r: Resources, bucket: string, override: RouteOverride | undefined) {
  const next = { ...r.load_balancer.route_overrides }
  if (override) next[bucket] = override
  else delete next[bucket]
  await send('PUT', '/api/load-balancer/route-overrides', next)
}

function OverrideDialog(props: { bucket: string; onClose: () => void }) {
  const state = useApp()
  const r = state.resources.value as Resources
  const current = r.load_balancer.route_overrides[props.bucket]
  const [policy, setPolicy] = useState(current?.policy ?? '')
  const [locality, setLocality] = useState<string>(current?.locality ?? '')
  const [pinned, setPinned] = useState(current?.faas_ids !== undefined)
  const [faasIds, setFaasIds] = useState<number[]>(
    current?.faas_ids ?? r.load_balancer.routes[props.bucket]?.upstreams.map((u) => u.id) ?? [],
  )
  const field = (name: string) => `${props.bucket}.${name}`
  return (
    <FormDialog
      title={`Route override for ${props.bucket}`}
      submitLabel="Save override"
      fields={[props.bucket, field('policy'), field('locality'), field('faas_ids')]}
      onClose={props.onClose}
      onSubmit={async () => {
        const override: RouteOverride = {
          ...(policy ? { policy: policy as PolicyName } : {}),
          ...(pinned ? { faas_ids: faasIds } : {}),
          ...(locality ? { locality: locality as 'prefer' | 'off' } : {}),
          // Set through the API only: kept as it is.
          ...(current?.allow_partial !== undefined ? { allow_partial: current.allow_partial } : {}),
        }
        await saveOverride(r, props.bucket, Object.keys(override).length ? override : undefined)
        await refresh(state)
      }}
    >
      <SelectField
        name={field('policy')}
        label="Policy"
        value={policy}
        onValue={setPolicy}
        autofocus
        options={[
          { value: '', label: `default (${r.load_balancer.settings.default_policy})` },
          ...POLICY_OPTIONS,
        ]}
      />
      <SelectField
        name={field('locality')}
        label="Locality"
        value={locality}
        onValue={setLocality}
        options={[
          { value: '', label: `default (${r.load_balancer.settings.locality})` },
          ...LOCALITY_OPTIONS,
        ]}
      />
      <label class="check">
        <input
          type="checkbox"
          checked={pinned}
          onChange={(e) => setPinned(e.currentTarget.checked)}
        />
        Send invocations only to chosen FaaS deployments (instead of every cluster holding the data)
      </label>
      {pinned && (
        <CheckboxesField
          name={field('faas_ids')}
          label="FaaS deployments"
          selected={faasIds}
          onSelected={setFaasIds}
          options={r.faas_deployments.map((f) => ({
            value: f.faas_id,
            label: (
              <>
                <span class="mono">{f.url}</span> ({state.clusterName.value(f.cluster_id)})
              </>
            ),
          }))}
        />
      )}
    </FormDialog>
  )
}

function SnapshotDialog(props: { onClose: () => void }) {
  const [text, setText] = useState('Loading…')
  useEffect(() => {
    send<unknown>('GET', '/api/snapshot')
      .then((snapshot) => setText(JSON.stringify(snapshot, null, 2)))
      .catch((err: Error) => setText(`Could not load the snapshot: ${err.message}`))
  }, [])
  return (
    <Dialog title="Route snapshot" onClose={props.onClose} wide>
      <p class="muted">What control publishes and every edge serves, exactly as sent.</p>
      <pre class="raw" tabIndex={0} aria-label="route snapshot JSON">
        {text}
      </pre>
      <footer class="dialog-actions">
        <button type="button" class="primary" onClick={props.onClose} autofocus>
          Close
        </button>
      </footer>
    </Dialog>
  )
}
