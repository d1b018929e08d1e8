import { describe, expect, it } from 'vitest'
import {
  FADO_EVENTS,
  isFadoArn,
  withFadoRule,
  withoutFadoRule,
  type NotificationRule,
} from './notification-rules.js'

const FADO = 'arn:minio:sqs::fado:webhook'
const audit: NotificationRule = {
  kind: 'queue',
  id: 'audit',
  arn: 'arn:minio:sqs::AUDIT:webhook',
  events: ['s3:ObjectAccessed:Get'],
  filter: [
    { name: 'prefix', value: 'audit/' },
    { name: 'suffix', value: '.log' },
  ],
}
const topic: NotificationRule = {
  kind: 'topic',
  id: undefined,
  arn: 'arn:minio:sns::ops:kafka',
  events: ['s3:ObjectRemoved:*'],
  filter: [],
}
const ours: NotificationRule = {
  kind: 'queue',
  id: undefined,
  arn: FADO,
  events: [...FADO_EVENTS],
  filter: [],
}

describe("FaDO's rule among a bucket's notification rules", () => {
  it('only the target with id fado is FaDO’s, in any case and region', () => {
    expect(isFadoArn(FADO)).toBe(true)
    expect(isFadoArn('arn:minio:sqs::FADO:webhook')).toBe(true)
    expect(isFadoArn('arn:minio:sqs:eu-west-1:fado:webhook')).toBe(true)
    expect(isFadoArn('arn:minio:sqs::AUDIT:webhook')).toBe(false)
    expect(isFadoArn('arn:minio:sqs::fado-audit:webhook')).toBe(false)
    expect(isFadoArn('arn:minio:sqs::fado:kafka')).toBe(false)
  })

  it('adds FaDO’s rule beside the owner’s, keeping theirs as they were', () => {
    expect(withFadoRule([audit, topic], FADO)).toEqual([audit, topic, ours])
    expect(withFadoRule([], FADO)).toEqual([ours])
  })

  it('writes nothing when FaDO’s rule is there already; replaces an outdated one of its own', () => {
    expect(withFadoRule([audit, ours], FADO)).toBeUndefined()
    const old = { ...ours, events: ['s3:ObjectCreated:Put'] }
    expect(withFadoRule([old, audit], FADO)).toEqual([audit, ours])
  })

  it('takes out only FaDO’s rule; nothing to write when it has none', () => {
    expect(withoutFadoRule([audit, ours, topic])).toEqual([audit, topic])
    expect(withoutFadoRule([audit, topic])).toBeUndefined()
  })
})
