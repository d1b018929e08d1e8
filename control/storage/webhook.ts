/**
 * MinIO webhook targets: how MinIO pushes bucket events to FaDO's /api/notify (thesis §5.3.3).
 * An operator configures one per MinIO deployment, e.g. with id FADO:
 *   MINIO_NOTIFY_WEBHOOK_ENABLE_FADO=on
 *   MINIO_NOTIFY_WEBHOOK_ENDPOINT_FADO=http://<fado>:9090/api/notify
 *   MINIO_NOTIFY_WEBHOOK_AUTH_TOKEN_FADO=<admin token>
 * FaDO finds the target's ARN in the server info and subscribes each master bucket to it.
 * A queue dir (MINIO_NOTIFY_WEBHOOK_QUEUE_DIR_FADO) is optional: MinIO then keeps events while
 * FaDO is down, but drains the queue only every ~3 s (measured), so replication waits that long.
 * Without it nothing is lost either: FaDO runs a full pass over every bucket at start and
 * periodically, and listens to the event stream as a second source.
 */

/** The target FaDO listens through: the webhook with id FADO, else the only webhook. */
export function pickWebhookArn(arns: readonly string[]): string {
  const webhooks = arns.filter((a) => a.endsWith(':webhook'))
  return (
    webhooks.find((a) => /:fado:webhook$/i.test(a)) ??
    (webhooks.length === 1 ? (webhooks[0] ?? '') : '')
  )
}
