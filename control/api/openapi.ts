/**
 * The admin API's OpenAPI 3.1 document, served at GET /api/openapi.json (no token: it holds no
 * data). Request bodies come from the very zod schemas the handlers validate with; answers from
 * answers.ts (checked against the handlers' answer types); errors share one shape. Converted with
 * zod's own JSON Schema output (draft 2020-12, what OpenAPI 3.1 uses). A test checks that every
 * route the app serves is here and that real answers match these schemas.
 */
import { z } from 'zod'
import {
  bucketAnswer,
  clusterAnswer,
  createdTokenAnswer,
  errorAnswer,
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

type Auth = 'admin' | 'edge' | 'notify' | 'metrics' | 'none'

interface Operation {
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

type Paths = Record<string, Partial<Record<'get' | 'post' | 'put' | 'delete', Operation>>>

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

function paths(): Paths {
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

const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  204: 'No content',
  304: 'Not modified',
  307: 'Temporary redirect: Location is a pre-signed URL of the object on its storage',
  400: 'Bad input: the message and `field` name what is wrong; nothing was changed',
  401: 'No valid token',
  403: 'The token’s scope does not allow this',
  404: 'No such item',
  409: 'Conflict (a duplicate name, or an item still in use)',
  413: 'Body larger than the limit',
  429: 'Too many requests from this token; try again shortly',
  502: 'A storage deployment failed; nothing was changed',
  503: 'The database (or the snapshot) is unavailable; nothing was changed',
  504: 'A storage deployment did not answer in time; nothing was changed',
}

/**
 * JSON Schema of one zod schema. Named schemas (`.meta({id})`) go to components.schemas, shared by
 * the whole document, and are referenced from there.
 */
function jsonSchemaWith(components: Record<string, unknown>) {
  return (schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> => {
    const out = z.toJSONSchema(schema, {
      io,
      target: 'draft-2020-12',
      unrepresentable: 'any',
    }) as Record<string, unknown>
    delete out.$schema
    const defs = (out.$defs ?? {}) as Record<string, unknown>
    delete out.$defs
    const rewrite = <T>(value: T): T =>
      JSON.parse(JSON.stringify(value).replaceAll('"#/$defs/', '"#/components/schemas/')) as T
    for (const [name, def] of Object.entries(defs)) components[name] ??= rewrite(def)
    return rewrite(out)
  }
}

export function openApiDocument(version: string): Record<string, unknown> {
  const components: Record<string, unknown> = {}
  const jsonSchema = jsonSchemaWith(components)
  const content = (
    what: z.ZodType | { raw: string; description: string },
    io: 'input' | 'output',
  ) =>
    'raw' in what && typeof what.raw === 'string'
      ? { [what.raw]: { schema: { description: what.description } } }
      : { 'application/json': { schema: jsonSchema(what as z.ZodType, io) } }
  jsonSchema(errorAnswer, 'output')
  const out: Record<string, Record<string, unknown>> = {}
  for (const [path, ops] of Object.entries(paths())) {
    const item: Record<string, unknown> = {}
    for (const [method, op] of Object.entries(ops) as [string, Operation][]) {
      const auth = op.auth ?? 'admin'
      const params = [
        ...(path.includes('{id}')
          ? [{ name: 'id', in: 'path', required: true, schema: { type: 'integer', minimum: 1 } }]
          : []),
        ...Object.entries(op.query ?? {}).map(([name, description]) => ({
          name,
          in: 'query',
          required: description.startsWith('!'),
          description: description.replace(/^!/, ''),
          schema: { type: 'string' },
        })),
      ]
      const errors = [
        ...(op.body || params.length > 0 ? [400] : []),
        ...(auth === 'none' ? [] : [401, 403]),
        ...(op.errors ?? []),
      ]
      const responses: Record<string, unknown> = {}
      for (const [status, answer] of Object.entries(op.answers))
        responses[status] = {
          description: STATUS_TEXT[Number(status)] ?? status,
          ...(answer ? { content: content(answer, 'output') } : {}),
        }
      for (const status of errors)
        responses[String(status)] ??= {
          description: STATUS_TEXT[status],
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
        }
      item[method] = {
        summary: op.summary,
        operationId: `${method}${path.replace(/[{}]/g, '').replace(/[/.-](\w)/g, (_, c: string) => c.toUpperCase())}`,
        ...(auth === 'none'
          ? { security: [] }
          : {
              security: [{ bearer: [] }],
              'x-fado-scope': auth === 'admin' ? ['admin'] : ['admin', auth],
            }),
        ...(params.length ? { parameters: params } : {}),
        ...(op.body ? { requestBody: { required: true, content: content(op.body, 'input') } } : {}),
        responses,
      }
    }
    out[path] = item
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'FaDO admin API',
      version,
      description:
        'Clusters, FaaS and storage deployments, functions, buckets with replica policies, objects, the load balancer and tokens. Every call needs `Authorization: Bearer <token>` unless marked otherwise; x-fado-scope lists the token scopes allowed.',
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: components,
    },
    security: [{ bearer: [] }],
    paths: out,
  }
}
