/** Bundles edge/worker.ts for workerd / Cloudflare Workers into dist/worker.js (ES module). */
import { build } from 'esbuild'

await build({
  entryPoints: ['edge/worker.ts'],
  outfile: 'dist/worker.js',
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  target: 'es2022',
  mainFields: ['module', 'main'],
  conditions: ['workerd', 'worker', 'browser'],
  logLevel: 'warning',
})
