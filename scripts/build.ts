/**
 * Bundles the CLI into dist/fado.mjs (the package's `fado` bin): one file, fast start, no
 * TypeScript at run time. PGlite stays external (it loads its WASM next to its own files);
 * `pg` is CommonJS, so the ESM bundle gets a `require` via createRequire.
 */
import fs from 'node:fs'
import { build } from 'esbuild'
import { buildUi } from '../ui/build.js'

const { version } = JSON.parse(fs.readFileSync('package.json', 'utf8')) as { version: string }

await build({
  // The CLI, the edge worker process it forks (edge/node-workers.ts), the thread a full pass over
  // a large bucket lists in (control/replication/listing-worker.ts), the embedded database's
  // thread (control/db/pglite.ts), and the local platform only
  // `fado demo` loads (platform/: test credentials and server launchers stay out of the others).
  entryPoints: {
    fado: 'control/cli/cli.ts',
    'edge-worker': 'edge/node-worker-main.ts',
    'listing-worker': 'control/replication/listing-worker-main.ts',
    'pglite-worker': 'control/db/pglite-worker-main.ts',
    'fado-demo': 'platform/demo-command.ts',
  },
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  // Without comments and with every non-ASCII character escaped, V8 holds the source as a
  // one-byte string: one stray '’' in a comment made it keep 7 MB (UTF-16) instead of 2 MB.
  minifyWhitespace: true,
  minifySyntax: true,
  charset: 'ascii',
  legalComments: 'none',
  external: ['@electric-sql/pglite', 'pg-native'],
  // What `fado agent` tells control it runs (the admin page shows it).
  define: { FADO_VERSION: JSON.stringify(version) },
  banner: {
    js: [
      // A 2 MB young generation (V8's default is 16): ~30 MB less resident after a full pass over a
      // large bucket, passes as fast (bench/README.md). Only a start-up flag sizes V8's heap.
      '#!/usr/bin/env -S node --max-semi-space-size=2',
      "import { createRequire as __fadoCreateRequire } from 'node:module';",
      'const require = __fadoCreateRequire(import.meta.url);',
    ].join('\n'),
  },
  logLevel: 'warning',
})

// Runnable as it is (`./dist/fado.mjs`), by its first line, as npm runs a package's bin.
fs.chmodSync('dist/fado.mjs', 0o755)

// The admin page control serves at / (dist/ui).
await buildUi()
