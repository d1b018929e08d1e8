/**
 * The admin API's OpenAPI 3.1 document, served at GET /api/openapi.json (no token: it holds no
 * data). Request bodies come from the very zod schemas the handlers validate with; answers from
 * answers.ts (checked against the handlers' answer types); errors share one shape. Converted with
 * zod's own JSON Schema output (draft 2020-12, what OpenAPI 3.1 uses). A test checks that every
 * route the app serves is here and that real answers match these schemas.
 */
import { z } from 'zod'
import { errorAnswer } from './answers.js'
import { paths, type Operation } from './openapi-paths.js'

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
