/** Pieces the deployment pages share: the cluster picker and the "add a cluster first" note. */
import { useApp } from '../state.js'
import { Link } from '../router.js'
import { SelectField } from './dialog.js'

export function ClusterSelect(props: { value: number; onValue: (clusterId: number) => void }) {
  const clusters = useApp().resources.value?.clusters ?? []
  return (
    <SelectField
      name="cluster_id"
      label="Cluster"
      value={props.value}
      onValue={(v) => props.onValue(Number(v))}
      options={clusters.map((c) => ({ value: c.cluster_id, label: c.name }))}
    />
  )
}

/** Shown on the deployment pages while there is no cluster to put a deployment in. */
export function NeedsCluster() {
  const clusters = useApp().resources.value?.clusters ?? []
  if (clusters.length > 0) return null
  return (
    <p class="alert info">
      Add a <Link href="/clusters">cluster</Link> first: every deployment belongs to one.
    </p>
  )
}
