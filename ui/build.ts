/**
 * Bundles the admin page: ui/src/main.tsx (+ its CSS) → dist/ui/assets/main-<hash>.{js,css}, and
 * ui/index.html → dist/ui/index.html pointing at them. One small bundle, no CDN, no runtime fetch
 * other than the API. Prints the gzipped size. `node --import tsx ui/build.ts` or `npm run build:ui`.
 */
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

export interface UiBuild {
  outDir: string
  files: { name: string; bytes: number; gzipBytes: number }[]
}

export async function buildUi(outDir = path.join(root, 'dist/ui')): Promise<UiBuild> {
  fs.rmSync(outDir, { recursive: true, force: true })
  const result = await build({
    entryPoints: [path.join(root, 'ui/src/main.tsx')],
    outdir: path.join(outDir, 'assets'),
    entryNames: '[name]-[hash]',
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'es2022',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    metafile: true,
    legalComments: 'none',
    logLevel: 'warning',
  })
  const outputs = Object.keys(result.metafile.outputs).map((p) => path.basename(p))
  const script = outputs.find((n) => n.endsWith('.js'))
  const style = outputs.find((n) => n.endsWith('.css'))
  if (!script || !style) throw new Error(`ui build produced ${outputs.join(', ')}`)
  const template = fs.readFileSync(path.join(root, 'ui/index.html'), 'utf8')
  const html = template
    .replace('%STYLE%', `/assets/${style}`)
    .replace('%SCRIPT%', `/assets/${script}`)
  fs.writeFileSync(path.join(outDir, 'index.html'), html)
  const files = ['index.html', ...[script, style].map((n) => `assets/${n}`)].map((name) => {
    const bytes = fs.readFileSync(path.join(outDir, name))
    return { name, bytes: bytes.length, gzipBytes: gzipSync(bytes, { level: 9 }).length }
  })
  return { outDir, files }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { outDir, files } = await buildUi()
  const total = files.reduce((sum, f) => sum + f.gzipBytes, 0)
  for (const f of files) {
    console.log(
      `  ${f.name.padEnd(34)} ${(f.bytes / 1024).toFixed(1).padStart(6)} KiB  gzip ${(f.gzipBytes / 1024).toFixed(1).padStart(5)} KiB`,
    )
  }
  console.log(
    `admin page built into ${path.relative(root, outDir)}: ${(total / 1024).toFixed(1)} KiB gzipped`,
  )
}
