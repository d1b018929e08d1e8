/** Dashboard: what exists, whether replicas are in sync, and what the edge serves right now. */
import { useApp } from '../state.js'
import { Badge, formatBytes, formatTime, PageHeader } from '../components/common.js'
import { Link } from '../router.js'
import type { ComponentChildren } from 'preact'
import type { Resources } from '../types.js'

export function DashboardPage() {
  const { resources, storageAlias } = useApp()
  const r = resources.value as Resources
  const replicas = r.buckets.flatMap((b) => b.replicas.map((rep) => ({ bucket: b.name, ...rep })))
  const count = (status: string) => replicas.filter((rep) => rep.status === status).length
  const failing = replicas.filter((rep) => rep.status === 'error')
  const lb = r.load_balancer
  const edge = lb.edge
  const healthy = edge?.upstreams.filter((u) => u.healthy).length ?? 0
  const totalBytes = r.buckets.reduce((sum, b) => sum + b.total_bytes, 0)
  const objectCount = r.buckets.reduce((sum, b) => sum + b.object_count, 0)
  const zones = [...new Set(r.clusters.flatMap((c) => c.zones))].sort()

  return (
    <>
      <PageHeader
        title="Dashboard"
        intro="Where the data is, whether its replicas are in sync, and what the edge routes."
      />
      <section class="cards" aria-label="Counts">
        <Card title="Clusters" value={r.clusters.length} href="/clusters">
          {zones.length > 0 ? `zones: ${zones.join(', ')}` : 'no zones yet'}
        </Card>
        <Card title="FaaS deployments" value={r.faas_deployments.length} href="/faas">
          function endpoints
        </Card>
        <Card title="Storage deployments" value={r.storage_deployments.length} href="/storage">
          MinIO servers tracked
        </Card>
        <Card title="Buckets" value={r.buckets.length} href="/buckets">
          {`${replicas.length} replica${replicas.length === 1 ? '' : 's'}`}
        </Card>
        <Card title="Objects" value={objectCount} href="/objects">
          {formatBytes(totalBytes)} in master copies
        </Card>
      </section>

      <div class="two-columns">
        <section class="panel" aria-labelledby="replication-title">
          <h2 id="replication-title">Replication</h2>
          {replicas.length === 0 ? (
            <p class="muted">No replicas: every bucket lives on its master only.</p>
          ) : (
            <p class="summary">
              <Badge tone="ok">{count('synced')} synced</Badge>{' '}
              <Badge tone="busy">{count('syncing')} syncing</Badge>{' '}
              <Badge tone={failing.length ? 'bad' : 'neutral'}>{failing.length} error</Badge>
            </p>
          )}
          {r.buckets.length > 0 && (
            <ul class="bucket-sync">
              {r.buckets.map((b) => {
                const inSync = b.replicas.filter((rep) => rep.status === 'synced').length
                return (
                  <li key={b.bucket_id}>
                    <Link href={`/objects/${encodeURIComponent(b.name)}`}>{b.name}</Link>
                    <span class="muted">
                      {' '}
                      on {storageAlias.value(b.storage_id)}
                      {b.replicas.length > 0
                        ? ` · replicas in sync ${inSync}/${b.replicas.length}`
                        : ' · master only'}
                    </span>
                  </li>
                )
              })}
            </ul>
          )}
          {failing.length > 0 && (
            <ul class="problems">
              {failing.map((rep) => (
                <li key={`${rep.bucket}/${rep.storage_id}`}>
                  <strong>{rep.bucket}</strong> on {storageAlias.value(rep.storage_id)}:{' '}
                  {rep.error ?? 'failed'}
                </li>
              ))}
            </ul>
          )}
        </section>

        <section class="panel" aria-labelledby="edge-title">
          <h2 id="edge-title">Edge</h2>
          <dl class="facts">
            <dt>Published route snapshot</dt>
            <dd>version {lb.snapshot_version}</dd>
            {edge ? (
              <>
                <dt>Served by the edge</dt>
                <dd>
                  version {edge.snapshot_version}{' '}
                  {edge.snapshot_version === lb.snapshot_version ? (
                    <Badge tone="ok">current</Badge>
                  ) : (
                    <Badge tone="busy">updating</Badge>
                  )}
                </dd>
                <dt>Applied</dt>
                <dd>{formatTime(edge.applied_at)}</dd>
                <dt>Routes</dt>
                <dd>{edge.routes}</dd>
                <dt>Upstreams</dt>
                <dd>
                  {edge.upstreams.length === 0 ? (
                    'none yet'
                  ) : (
                    <Badge tone={healthy === edge.upstreams.length ? 'ok' : 'bad'}>
                      {healthy} of {edge.upstreams.length} healthy
                    </Badge>
                  )}
                </dd>
              </>
            ) : (
              <>
                <dt>Edges</dt>
                <dd>run as separate processes; each reports at its own /_fado/status</dd>
              </>
            )}
          </dl>
          <p>
            <Link href="/load-balancer">Routes and settings →</Link>
          </p>
        </section>
      </div>
    </>
  )
}

function Card(props: { title: string; value: number; href: string; children: ComponentChildren }) {
  return (
    <Link href={props.href} class="card stat">
      <span class="stat-title">{props.title}</span>
      <span class="stat-value">{props.value}</span>
      <span class="stat-note">{props.children}</span>
    </Link>
  )
}
