/**
 * A script the build writes beside the CLI bundle (dist/<name>): found next to the running bundle,
 * or in the checkout's dist/ when running from source (tests).
 */
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export function builtScript(name: string): string {
  const here = path.dirname(fileURLToPath(import.meta.url))
  for (const candidate of [path.join(here, name), path.resolve(here, '../dist', name)]) {
    if (fs.existsSync(candidate)) return candidate
  }
  throw new Error(`dist/${name} is missing: run \`npm run build\``)
}
