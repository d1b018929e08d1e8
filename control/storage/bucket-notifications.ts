/** A bucket's notification configuration, read and written rule by rule; FaDO's rule merged in. */
import * as Minio from 'minio'
import { classify } from './errors.js'
import { withFadoRule, withoutFadoRule, type NotificationRule } from './notification-rules.js'
import type { S3Storage } from './s3.js'

/** The bucket's notification configuration, rule by rule. */
export async function notificationRules(s: S3Storage, bucket: string): Promise<NotificationRule[]> {
  let config: Awaited<ReturnType<Minio.Client['getBucketNotification']>>
  try {
    config = await s.client.getBucketNotification(bucket)
  } catch (err) {
    throw classify(err, `read notifications of ${bucket}`)
  }
  type Raw = { Id?: string; Event?: string[]; Filter?: { Name: string; Value: string }[] }
  const rules = (kind: NotificationRule['kind'], list: unknown, arnOf: (r: never) => string) =>
    ((list ?? []) as Raw[]).map((r): NotificationRule => ({
      kind,
      id: r.Id || undefined,
      arn: arnOf(r as never),
      events: [...(r.Event ?? [])],
      filter: (r.Filter ?? []).map((f) => ({ name: f.Name, value: f.Value })),
    }))
  return [
    ...rules('queue', config.QueueConfiguration, (r: { Queue: string }) => r.Queue),
    ...rules('topic', config.TopicConfiguration, (r: { Topic: string }) => r.Topic),
    ...rules(
      'lambda',
      config.CloudFunctionConfiguration,
      (r: { CloudFunction: string }) => r.CloudFunction,
    ),
  ]
}

/** Replaces the bucket's notification configuration with these rules. */
export async function setNotificationRules(
  s: S3Storage,
  bucket: string,
  rules: readonly NotificationRule[],
): Promise<void> {
  const config = new Minio.NotificationConfig()
  for (const rule of rules) {
    const target =
      rule.kind === 'queue'
        ? new Minio.QueueConfig(rule.arn)
        : rule.kind === 'topic'
          ? new Minio.TopicConfig(rule.arn)
          : new Minio.CloudFunctionConfig(rule.arn)
    if (rule.id) target.setId(rule.id)
    for (const event of rule.events) target.addEvent(event)
    for (const f of rule.filter)
      if (f.name.toLowerCase() === 'prefix') target.addFilterPrefix(f.value)
      else target.addFilterSuffix(f.value)
    config.add(target)
  }
  try {
    await s.client.setBucketNotification(bucket, config)
  } catch (err) {
    throw classify(err, `set notifications on ${bucket}`)
  }
}

/**
 * Makes the bucket send object created/removed events to FaDO's notification target `arn`,
 * beside whatever rules the bucket has of its owner's (read, merged, written back).
 */
export async function notifyOnChanges(s: S3Storage, bucket: string, arn: string): Promise<void> {
  const merged = withFadoRule(await notificationRules(s, bucket), arn)
  if (merged) await setNotificationRules(s, bucket, merged)
}

/** Takes FaDO's rule out of the bucket's notification configuration; the rest stays. */
export async function stopNotifying(s: S3Storage, bucket: string): Promise<void> {
  const rest = withoutFadoRule(await notificationRules(s, bucket))
  if (rest) await setNotificationRules(s, bucket, rest)
}
