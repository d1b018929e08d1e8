/**
 * Pure: a bucket's notification configuration as rules, and FaDO's one rule in it. FaDO adds its
 * rule beside the owner's and takes only its own out again; it never subscribes a bucket to a
 * target it does not own (id fado).
 */
/** Is this the ARN of FaDO's own webhook target (id fado, any case)? */
export const isFadoArn = (arn: string): boolean => /^arn:minio:sqs:[^:]*:fado:webhook$/i.test(arn)

/** One rule of a bucket's notification configuration (S3 NotificationConfiguration). */
export interface NotificationRule {
  kind: 'queue' | 'topic' | 'lambda'
  id: string | undefined
  arn: string
  events: string[]
  /** S3Key filter rules (prefix, suffix), in order. */
  filter: { name: string; value: string }[]
}

/** The events FaDO asks of a master bucket. */
export const FADO_EVENTS = ['s3:ObjectCreated:*', 's3:ObjectRemoved:*']

const isFadoRule = (r: NotificationRule) => r.kind === 'queue' && isFadoArn(r.arn)

/**
 * A bucket's rules with FaDO's rule for `arn` in them, every other rule kept as it was; undefined
 * when the configuration already holds exactly that (nothing to write).
 */
export function withFadoRule(
  rules: readonly NotificationRule[],
  arn: string,
): NotificationRule[] | undefined {
  const ours = rules.filter(isFadoRule)
  const sameEvents = (r: NotificationRule) =>
    r.events.length === FADO_EVENTS.length && FADO_EVENTS.every((e) => r.events.includes(e))
  if (ours.length === 1 && ours[0]?.arn === arn && sameEvents(ours[0]) && !ours[0].filter.length)
    return undefined
  return [
    ...rules.filter((r) => !isFadoRule(r)),
    { kind: 'queue', id: undefined, arn, events: [...FADO_EVENTS], filter: [] },
  ]
}

/** A bucket's rules without FaDO's; undefined when it had none (nothing to write). */
export function withoutFadoRule(
  rules: readonly NotificationRule[],
): NotificationRule[] | undefined {
  return rules.some(isFadoRule) ? rules.filter((r) => !isFadoRule(r)) : undefined
}
