/**
 * MinIO webhook targets: how MinIO pushes bucket events to FaDO's /api/notify (thesis §5.3.3).
 *
 * FaDO sets one up itself on a MinIO it tracks with admin credentials (configureWebhook): the
 * target `notify_webhook:fado` through the admin config API, pointing at FaDO's notify URL with a
 * notify-scope token of its own; MinIO loads notification targets only when it starts, so FaDO then
 * restarts the server once and waits for it to list the target. Master buckets are then subscribed
 * to the target's ARN (arn:minio:sqs::fado:webhook).
 *
 * An operator may configure it instead, e.g. with id FADO:
 *   MINIO_NOTIFY_WEBHOOK_ENABLE_FADO=on
 *   MINIO_NOTIFY_WEBHOOK_ENDPOINT_FADO=http://<fado>:9090/api/notify
 *   MINIO_NOTIFY_WEBHOOK_AUTH_TOKEN_FADO=<notify token>
 * No queue dir: with one, MinIO drains its queue only every ~3 s (measured), so replication waits
 * that long. Nothing is lost without it: FaDO runs a full pass over every bucket at start and
 * periodically, and listens to the event stream as a second source.
 */
import { isFadoArn } from '../storage/notification-rules.js'
import { StorageError } from '../storage/errors.js'
import { type S3Storage } from '../storage/s3.js'
import { restartServer, serverInfo, setConfig } from '../storage/admin-api.js'

/** The id of the target FaDO configures: its ARN is arn:minio:sqs::fado:webhook. */
export const FADO_TARGET_ID = 'fado'

/**
 * The target FaDO listens through: only one it owns, the webhook with id FADO. Any other target on
 * the server is someone else's (an audit log, another system) and is never subscribed to.
 */
export function pickWebhookArn(arns: readonly string[]): string {
  return arns.find(isFadoArn) ?? ''
}

/** The configuration line of FaDO's webhook target (values quoted: MinIO strips the quotes). */
export function webhookConfigLine(endpoint: string, token: string): string {
  for (const [name, value] of [
    ['endpoint', endpoint],
    ['token', token],
  ] as const)
    if (/[\s"]/.test(value)) throw new Error(`webhook ${name} may not hold spaces or quotes`)
  return `notify_webhook:${FADO_TARGET_ID} enable="on" endpoint="${endpoint}" auth_token="${token}" queue_limit="100000"`
}

/**
 * Adds FaDO's webhook target to a MinIO server and restarts it so the target is loaded; resolves
 * with the target's ARN once the server lists it. MinIO checks while configuring that it can
 * connect to `endpoint`.
 */
export async function configureWebhook(
  storage: S3Storage,
  target: { endpoint: string; token: string },
  opts: { readyWithinMs?: number } = {},
): Promise<string> {
  await setConfig(storage, webhookConfigLine(target.endpoint, target.token))
  await restartServer(storage)
  const deadline = Date.now() + (opts.readyWithinMs ?? 60_000)
  let last: unknown
  // The restart answers first and then takes the server down: an answer listing the target is the
  // restarted server's.
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250))
    try {
      const arn = pickWebhookArn((await serverInfo(storage)).sqsArns)
      if (arn) return arn
    } catch (err) {
      last = err
    }
  }
  throw new StorageError(
    `the server did not list FaDO's webhook target after restarting${last instanceof Error ? ` (${last.message})` : ''}`,
    'timeout',
  )
}
