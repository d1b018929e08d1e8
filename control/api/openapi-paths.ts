/**
 * Every operation of the admin API as the OpenAPI document (openapi.ts) describes it: summary,
 * token scope, query, body and answers — request bodies are the handlers' own zod schemas,
 * answers those of answers.ts.
 */
import { z } from 'zod'
import * as agentProtocol from '../../agent/protocol.js'
import {
  agentAnswer,
  bucketAnswer,
  clusterAnswer,
  createdTokenAnswer,
  faasAnswer,
  functionAnswer,
  edgeStatsAnswer,
  healthAnswer,
  hookAnswer,
  loadBalancerAnswer,
  notifyAnswer,
  objectAnswer,
  objectPageAnswer,
  uploadUrlAnswer,
  resourcesAnswer,
  routeOverridesAnswer,
  settingsAnswer,
  snapshotAnswer,
  storageAnswer,
  tokenAnswer,
  trafficAnswer,
} from './answers.js'
import * as buckets from './buckets.js'
import * as clusters from './clusters.js'
import * as faas from './faas-deployments.js'
import * as functions from './functions.js'
import * as hooks from './hooks.js'
import * as traffic from './traffic.js'
import * as loadBalancer from './load-balancer.js'
import { notification } from './notify.js'
import * as storage from './storage-deployments.js'
import { uploadUrlBody } from './objects.js'
import * as tokens from './tokens.js'

export type Auth = 'admin' | 'edge' | 'notify' | 'metrics' | 'agent' | 'none'

export interface Operation {
  summary: string
  auth?: Auth
  /** Query parameters: name → description (all strings; `required` by a leading '!'). */
  query?: Record<string, string>
  body?: z.ZodType | { raw: string; description: string }
  /** Status → answer: a schema (JSON), a media type (raw bytes / text), or null (no body). */
  answers: Record<number, z.ZodType | { raw: string; description: string } | null>
  /** Error statuses this operation may answer, besides 400/401/403 where they apply. */
  errors?: number[]
}

export type Paths = Record<string, Partial<Record<'get' | 'post' | 'put' | 'delete', Operation>>>

const list = (schema: z.ZodType) => z.array(schema)
const crud = (
  what: string,
  answer: z.ZodType,
  create: z.ZodType | undefined,
  update: z.ZodType | undefined,
): [Paths[string], Paths[string]] => [
  {
    get: { summary: `List ${what}s`, answers: { 200: list(answer) } },
    ...(create
      ? {
          post: {
            summary: `Create a ${what}`,
            body: create,
            answers: { 201: answer },
            errors: [409],
          },
        }
      : {}),
  },
  {
    get: { summary: `Get one ${what}`, answers: { 200: answer }, errors: [404] },
    ...(update
      ? {
          put: {
            summary: `Update a ${what} (takes what GET gives)`,
            body: update,
            answers: { 200: answer },
            errors: [404, 409],
          },
        }
      : {}),
    delete: { summary: `Delete a ${what}`, answers: { 204: null }, errors: [404, 409] },
  },
]

export function paths(): Paths {
  const [clusterList, clusterItem] = crud(
    'cluster',
    clusterAnswer,
    clusters.createBody,
    clusters.updateBody,
  )
  const [faasList, faasItem] = crud('FaaS deployment', faasAnswer, faas.createBody, faas.updateBody)
  const [fnList, fnItem] = crud(
    'function',
    functionAnswer,
    functions.createBody,
    functions.updateBody,
  )
  const [storageList, storageItem] = crud(
    'storage deployment',
    storageAnswer,
    storage.createBody,
    undefined,
  )
  const [bucketList, bucketItem] = crud(
    'bucket',
    bucketAnswer,
    buckets.createBody,
    buckets.updateBody,
  )
  const storageErrors = [502, 503, 504]
  return {
    '/healthz': {
      get: {
        summary: 'Liveness and database reachability',
        auth: 'none',
        answers: { 200: healthAnswer, 503: healthAnswer },
      },
    },
    '/metrics': {
      get: {
        summary: 'Prometheus metrics (text exposition format)',
        auth: 'metrics',
        answers: { 200: { raw: 'text/plain', description: 'Prometheus text format 0.0.4' } },
      },
    },
    '/api/openapi.json': {
      get: { summary: 'This document', auth: 'none', answers: { 200: z.looseObject({}) } },
    },
    '/api/resources': {
      get: {
        summary: 'Everything the admin page shows at once (ETag / 304)',
        answers: { 200: resourcesAnswer },
      },
    },
    '/api/clusters': clusterList,
    '/api/clusters/{id}': clusterItem,
    '/api/faas-deployments': faasList,
    '/api/faas-deployments/{id}': faasItem,
    '/api/functions': fnList,
    '/api/functions/{id}': fnItem,
    '/api/storage-deployments': {
      ...storageList,
      post: {
        ...storageList.post!,
        summary: 'Track a storage deployment (checks it, imports its buckets)',
        errors: [409, ...storageErrors],
      },
    },
    '/api/storage-deployments/{id}': {
      get: storageItem.get!,
      delete: {
        summary:
          'Untrack a storage deployment (removes FaDO’s replica copies; ?delete_data=true also its masters)',
        query: { delete_data: "'true' to delete the master buckets' data too" },
        answers: { 204: null },
        errors: [404, 409, ...storageErrors],
      },
    },
    '/api/storage-deployments/{id}/webhook': {
      post: {
        summary:
          'Give a MinIO tracked without one FaDO’s webhook target (the server restarts once); done already: unchanged',
        answers: { 200: storageAnswer },
        errors: [404, 409, ...storageErrors],
      },
    },
    '/api/buckets': {
      ...bucketList,
      post: { ...bucketList.post!, errors: [409, ...storageErrors] },
    },
    '/api/buckets/{id}': {
      ...bucketItem,
      delete: {
        ...bucketItem.delete!,
        summary: 'Delete a bucket and its data, master and replicas',
        errors: [404, ...storageErrors],
      },
    },
    '/api/buckets/{id}/sync': {
      post: {
        summary:
          'Check the bucket’s replicas now (a full pass, in the background): master, replicas and what FaDO copied are compared, differences repaired',
        answers: { 202: bucketAnswer },
        errors: [404],
      },
    },
    '/api/objects': {
      get: {
        summary: 'List a bucket’s objects by page (?bucket=), or download one (?path=bucket/key)',
        query: {
          bucket: 'the bucket to list',
          path: 'bucket/key: download this object instead',
          after: 'the key to continue after (next_after of the previous page)',
          prefix: 'only keys starting with this',
          limit: 'objects per page (1 to 1000, default 100)',
          redirect:
            "with ?path=: '1' answers 307 to a pre-signed URL of the object instead of its bytes",
          cluster: 'with redirect: the cluster whose synced copy to point at (else the master’s)',
          expires_in: 'with redirect: seconds the URL is valid (1 to 604800, default 900)',
        },
        answers: {
          200: z.union([objectPageAnswer, z.string().describe('the object’s bytes (with ?path=)')]),
          307: null,
        },
        errors: [404, ...storageErrors],
      },
      post: {
        summary: 'Upload an object (multipart form: bucket, file)',
        body: { raw: 'multipart/form-data', description: 'fields bucket (name) and file' },
        answers: { 201: objectAnswer },
        errors: [404, 413, ...storageErrors],
      },
      put: {
        summary: 'Upload an object as a raw body (?path=bucket/key)',
        query: { path: '!bucket/key' },
        body: { raw: 'application/octet-stream', description: 'the object’s bytes' },
        answers: { 200: objectAnswer, 201: objectAnswer },
        errors: [404, 413, ...storageErrors],
      },
      delete: {
        summary: 'Delete an object (?path=bucket/key)',
        query: { path: '!bucket/key' },
        answers: { 204: null },
        errors: [404, ...storageErrors],
      },
    },
    '/api/objects/upload-url': {
      post: {
        summary:
          'Pre-signed URLs to write an object straight to its bucket’s master (FaDO records it as a direct write)',
        body: uploadUrlBody,
        answers: { 200: uploadUrlAnswer },
        errors: [404, 413, ...storageErrors],
      },
    },
    '/api/objects/{id}': {
      get: {
        summary: 'Download an object (or, with ?redirect=1, a 307 to a pre-signed URL of it)',
        query: {
          redirect: "'1': answer 307 to a pre-signed URL of the object instead of its bytes",
          cluster: 'with redirect: the cluster whose synced copy to point at (else the master’s)',
          expires_in: 'with redirect: seconds the URL is valid (1 to 604800, default 900)',
        },
        answers: {
          200: { raw: 'application/octet-stream', description: 'the object’s bytes' },
          307: null,
        },
        errors: [404, ...storageErrors],
      },
      delete: {
        summary: 'Delete an object',
        answers: { 204: null },
        errors: [404, ...storageErrors],
      },
    },
    '/api/notify': {
      post: {
        summary: 'Storage bucket notifications (a MinIO webhook target)',
        auth: 'notify',
        body: notification,
        answers: { 200: notifyAnswer },
      },
      put: {
        summary: 'Storage bucket notifications (as POST)',
        auth: 'notify',
        body: notification,
        answers: { 200: notifyAnswer },
      },
    },
    '/api/agent/claim': {
      post: {
        summary: 'An agent takes copy work of its cluster (waits up to wait_ms for some)',
        auth: 'agent',
        body: agentProtocol.claimBody,
        answers: { 200: agentProtocol.claimAnswer },
      },
    },
    '/api/agent/work/{id}/renew': {
      post: {
        summary: 'An agent keeps its lease on a piece of work (and gets fresh URLs when asked)',
        auth: 'agent',
        body: agentProtocol.renewBody,
        answers: { 200: agentProtocol.renewAnswer },
        errors: [409],
      },
    },
    '/api/agent/work/{id}/report': {
      post: {
        summary:
          'An agent reports a piece of work done, failed or given back; refused (409) once its lease is no longer live',
        auth: 'agent',
        body: agentProtocol.reportBody,
        answers: { 200: agentProtocol.reportAnswer },
        errors: [409],
      },
    },
    '/api/agents': {
      get: {
        summary:
          'Agents that reported themselves: cluster, version, last seen, work in flight, bytes moved',
        answers: { 200: list(agentAnswer) },
      },
    },
    '/api/load-balancer': {
      get: {
        summary: 'Settings, routes edges serve, overrides, snapshot version',
        answers: { 200: loadBalancerAnswer },
      },
    },
    '/api/load-balancer/settings': {
      get: { summary: 'Load-balancer settings', answers: { 200: settingsAnswer } },
      put: {
        summary: 'Change load-balancer settings (fields given)',
        body: loadBalancer.settingsBody,
        answers: { 200: settingsAnswer },
      },
    },
    '/api/load-balancer/route-overrides': {
      get: { summary: 'Per-bucket route overrides', answers: { 200: routeOverridesAnswer } },
      put: {
        summary: 'Replace every route override ({} removes them all)',
        body: loadBalancer.overridesBody,
        answers: { 200: routeOverridesAnswer },
      },
    },
    '/api/snapshot': {
      get: {
        summary: 'The newest route snapshot (edges pull it; If-None-Match + ?wait= long-polls)',
        auth: 'edge',
        query: { wait: 'seconds to wait for a newer version than If-None-Match names (0 to 60)' },
        answers: { 200: snapshotAnswer, 304: null },
        errors: [503],
      },
    },
    '/api/tokens': {
      get: {
        summary: 'List API tokens (never their secrets)',
        answers: { 200: list(tokenAnswer) },
      },
      post: {
        summary: 'Create a scoped token (the secret is in this answer only)',
        body: tokens.createBody,
        answers: { 201: createdTokenAnswer },
        errors: [409],
      },
    },
    '/api/traffic': {
      get: {
        summary: 'The last 15 minutes of invocations and replication, in 10-second slots (charts)',
        answers: { 200: trafficAnswer },
      },
    },
    '/api/edge-stats': {
      post: {
        summary: 'A `fado edge` reports the invocations it counted (edge-scope token)',
        auth: 'edge',
        body: traffic.edgeStatsBody,
        answers: { 200: edgeStatsAnswer },
        errors: [413, 429],
      },
    },
    '/api/hooks': {
      get: {
        summary: 'Snapshot publish hooks, with their delivery state',
        answers: { 200: list(hookAnswer) },
      },
      post: {
        summary:
          'Add a hook: every new snapshot version is pushed to it (a signed webhook, or Workers KV)',
        body: hooks.createBody,
        answers: { 201: hookAnswer },
      },
    },
    '/api/hooks/{id}': {
      delete: { summary: 'Remove a hook', answers: { 204: null }, errors: [404] },
    },
    '/api/tokens/{id}': {
      delete: { summary: 'Revoke a token', answers: { 204: null }, errors: [404] },
    },
  }
}
