/**
 * A piece of work as an agent receives it (agent/protocol.ts WorkOrder): the master's objects to
 * read and where to write them on the replica, as pre-signed URLs for the hosts the agent reaches
 * (its --storage-endpoint, else control's own), valid for a limited time. A copy writes each
 * object with the master's ETag signed into its metadata; a large one goes as a multipart upload
 * started here, for this lease; a batch is one snowball PUT, its marker header signed.
 */
import type { WorkOrder } from '../../agent/protocol.js'
import type { WorkRow } from '../db/agents.js'
import { SNOWBALL, type S3Storage } from '../storage/s3.js'
import { SOURCE_ETAG_META } from '../replication/copy.js'

export interface OrderStorages {
  master: S3Storage
  replica: S3Storage
  /** host:port the agent reaches each at, when not control's. */
  masterEndpoint: string | undefined
  replicaEndpoint: string | undefined
}

const metaHeaders = (meta: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(meta).map(([k, v]) => [`x-amz-meta-${k}`, v]))

/**
 * The order for a leased piece of work. `startUpload` starts the multipart upload of a large
 * copy (once per lease; its id then kept with the work, so fresh URLs reuse it).
 */
export async function workOrder(
  row: WorkRow,
  s: OrderStorages,
  expiresSeconds: number,
  startUpload: () => Promise<string>,
): Promise<WorkOrder> {
  const bucket = row.bucket
  const at = (endpoint: string | undefined) => (endpoint === undefined ? {} : { endpoint })
  const objects = row.objects.map((o) => ({
    ...o,
    get_url: s.master.presignedUrl('GET', bucket, o.key, expiresSeconds, at(s.masterEndpoint)),
  }))
  const order: WorkOrder = {
    work_id: row.work_id,
    lease: row.lease,
    lease_until: (row.lease_until ?? new Date()).toISOString(),
    bucket,
    kind: row.kind,
    objects,
  }
  const put = (key: string, headers: Record<string, string>, query?: string) =>
    s.replica.presignedUrl('PUT', bucket, key, expiresSeconds, {
      ...at(s.replicaEndpoint),
      ...(query ? { query } : {}),
      headers,
    })
  if (row.kind === 'batch') {
    const headers = metaHeaders(SNOWBALL)
    const name = `fado-batch-${row.work_id}-${row.lease}.tar`
    return { ...order, batch_put: { url: put(name, headers), headers } }
  }
  const [object] = row.objects
  if (!object) throw new Error(`work ${row.work_id} has no object`)
  if (object.size <= s.replica.multipart.thresholdBytes) {
    const headers = metaHeaders({ [SOURCE_ETAG_META]: object.etag })
    return { ...order, put: { url: put(object.key, headers), headers } }
  }
  const uploadId = row.upload_id ?? (await startUpload())
  const multipart = s.replica.presignedMultipart(
    bucket,
    object.key,
    { uploadId, size: object.size },
    expiresSeconds,
    s.replicaEndpoint,
  )
  return { ...order, multipart }
}
