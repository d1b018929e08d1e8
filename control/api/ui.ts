/**
 * Serves the admin page (ui/, built by `npm run build:ui` into dist/ui): hashed assets under
 * /assets/ cached for good, and index.html for every other GET outside /api and /healthz, so client
 * routes such as /buckets survive a reload (SPA fallback, thesis §5.5.2). The files are read once
 * at start; nothing is fetched from a CDN.
 */
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Hono } from 'hono'

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
}

/** The page only talks to its own origin; nothing may frame it. */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; " +
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
}

export interface UiAssets {
  dir: string
  index: Buffer
  files: Map<string, Buffer>
}

/**
 * Finds the built page: next to the bundled CLI (dist/fado.mjs → dist/ui) or, when running from
 * source, in the checkout's dist/ui. Undefined when it was never built.
 */
export function loadUiAssets(dirs = defaultUiDirs()): UiAssets | undefined {
  for (const dir of dirs) {
    const indexPath = path.join(dir, 'index.html')
    if (!fs.existsSync(indexPath)) continue
    const files = new Map<string, Buffer>()
    const assetsDir = path.join(dir, 'assets')
    for (const name of fs.existsSync(assetsDir) ? fs.readdirSync(assetsDir) : []) {
      files.set(name, fs.readFileSync(path.join(assetsDir, name)))
    }
    return { dir, index: fs.readFileSync(indexPath), files }
  }
  return undefined
}

function defaultUiDirs(): string[] {
  const here = path.dirname(fileURLToPath(import.meta.url))
  return [path.join(here, 'ui'), path.resolve(here, '../../dist/ui')]
}

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>FaDO</title>
<p>The admin page has not been built. Run <code>npm run build:ui</code> (or <code>npm start</code>,
which builds it) and reload. The admin API is at <code>/api</code>.</p>`

export function serveUi(app: Hono, assets: UiAssets | undefined): void {
  app.get('/assets/:name', (c) => {
    const name = c.req.param('name')
    const body = assets?.files.get(name)
    if (!body) return c.json({ error: { code: 'not_found', message: `no asset ${name}` } }, 404)
    return c.body(new Uint8Array(body), 200, {
      ...SECURITY_HEADERS,
      'content-type': CONTENT_TYPES[path.extname(name)] ?? 'application/octet-stream',
      'cache-control': 'public, max-age=31536000, immutable',
    })
  })
  app.get('*', (c) =>
    c.body(assets ? new Uint8Array(assets.index) : NOT_BUILT, assets ? 200 : 503, {
      ...SECURITY_HEADERS,
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-cache',
    }),
  )
}
