/**
 * The contract between control and `fado agent` (issue 22) — the only thing the two share, as
 * the edge shares only the snapshot contract. An agent claims work (long-polled), carries it out
 * with the pre-signed URLs each piece comes with, renews its lease while it runs (and gets fresh
 * URLs when one expired), and reports the result under the lease it holds; a result under a
 * lapsed or re-offered lease is refused (409 lease_lost). Control validates every body with
 * these schemas; the agent reads control's answers with them.
 */
import { z } from 'zod'

/** User metadata on replica copies, whoever makes them: the master ETag they were copied from. */
export const SOURCE_ETAG_META = 'fado-source-etag'

export const AGENT_PATHS = {
  claim: '/api/agent/claim',
  renew: (workId: number) => `/api/agent/work/${workId}/renew`,
  report: (workId: number) => `/api/agent/work/${workId}/report`,
} as const

/** What an agent calls itself: made once per process, random. */
export const agentId = z
  .string()
  .regex(/^[A-Za-z0-9_-]{8,64}$/, { error: 'must be 8 to 64 letters, digits, _ or -' })

const alias = z.string().regex(/^[A-Za-z0-9._-]{1,63}$/, { error: 'must be a storage alias' })
const hostPort = z
  .string()
  .regex(/^[A-Za-z0-9.-]{1,253}:\d{1,5}$/, { error: 'must be host:port (no scheme, no IPv6)' })

/** Where this agent reaches storage deployments at another address than control does. */
export const storageEndpoints = z
  .record(alias, hostPort)
  .refine((r) => Object.keys(r).length <= 64, { error: 'at most 64 storage endpoints' })

export const claimBody = z.strictObject({
  agent_id: agentId,
  cluster: z.string().min(1).max(63).describe('the cluster this agent runs in'),
  version: z.string().min(1).max(64),
  storage_endpoints: storageEndpoints.optional(),
  max: z.number().int().min(1).max(16).default(1).describe('pieces of work to take at most'),
  wait_ms: z
    .number()
    .int()
    .min(0)
    .max(25_000)
    .default(0)
    .describe('how long to wait for work when there is none'),
})
export type ClaimBody = z.input<typeof claimBody>

/** A request the agent sends exactly as given: URL and the headers signed into it. */
const signedRequest = z.object({ url: z.string(), headers: z.record(z.string(), z.string()) })

export const workOrder = z.object({
  work_id: z.number().int(),
  lease: z.number().int(),
  lease_until: z.string(),
  bucket: z.string(),
  kind: z.enum(['copy', 'batch']),
  /** What the pass saw on the master: a copy is of exactly this version (its ETag). */
  objects: z.array(
    z.object({ key: z.string(), size: z.number(), etag: z.string(), get_url: z.string() }),
  ),
  /** copy: one PUT to the replica. */
  put: signedRequest.optional(),
  /** copy of a large object: a multipart upload started for this lease. */
  multipart: z
    .object({
      upload_id: z.string(),
      part_bytes: z.number().int(),
      parts: z.array(z.object({ part_number: z.number().int(), url: z.string() })),
      complete_url: z.string(),
      abort_url: z.string(),
    })
    .optional(),
  /** batch: one snowball PUT of a tar of every object (MinIO extracts each). */
  batch_put: signedRequest.optional(),
})
export type WorkOrder = z.infer<typeof workOrder>

export const claimAnswer = z.object({
  lease_ms: z.number().int(),
  work: z.array(workOrder),
})
export type ClaimAnswer = z.infer<typeof claimAnswer>

export const renewBody = z.strictObject({
  agent_id: agentId,
  lease: z.number().int().min(1),
  storage_endpoints: storageEndpoints.optional(),
  /** Also sign the work's URLs again (one expired on the way). */
  fresh_urls: z.boolean().default(false),
})
export type RenewBody = z.input<typeof renewBody>

export const renewAnswer = z.object({ lease_until: z.string(), order: workOrder.optional() })

export const OUTCOMES = ['copied', 'gone', 'changed'] as const

export const reportBody = z.strictObject({
  agent_id: agentId,
  lease: z.number().int().min(1),
  ok: z.boolean(),
  error: z.string().max(2000).optional(),
  /** The agent gives the work back unfinished (it is stopping): offered again at once. */
  release: z.boolean().default(false),
  bytes: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  /** Per object: copied (with what was read and written), gone from the master, or changed there. */
  objects: z
    .array(
      z.strictObject({
        key: z.string(),
        outcome: z.enum(OUTCOMES),
        size: z.number().int().min(0).optional(),
        etag: z.string().max(200).optional(),
        last_modified: z.string().max(64).optional(),
        replica_etag: z.string().max(200).nullable().optional(),
      }),
    )
    .max(10_000),
})
export type ReportBody = z.output<typeof reportBody>
export type ReportedObject = ReportBody['objects'][number]

export const reportAnswer = z.object({ accepted: z.literal(true) })
