/**
 * How the embedded database lives on disk and in memory.
 * - Private files: Emscripten's file system chmods what it creates to 0666 whatever the process
 *   umask, so PostgreSQL's files would be open to every local user; the file system is mounted
 *   with chmod masked to the owner (PrivateNodeFS).
 * - Small memory: PostgreSQL's defaults (128 MB shared buffers) are a server's; FaDO's tables fit
 *   in a fraction of that.
 * - initdb apart: creating a cluster leaves ~500 MB of WebAssembly memory behind in the process
 *   that ran it, so a new data dir is initialised by a short-lived child process.
 */
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'
import type { PGlite } from '@electric-sql/pglite'
import { NodeFS } from '@electric-sql/pglite/nodefs'

/** postgresql.conf for the embedded database (PGlite writes it at every start). */
export const EMBEDDED_POSTGRESQL_CONF = [
  'shared_buffers = 16MB',
  'work_mem = 4MB',
  'maintenance_work_mem = 16MB',
  'temp_buffers = 4MB',
  // Statements are prepared once (pglite-statements.ts) but still planned for each call's values.
  'plan_cache_mode = force_custom_plan',
]

interface NodeFsModule {
  FS: {
    filesystems: {
      NODEFS: {
        setattr: (
          target: unknown,
          node: unknown,
          attr: unknown,
          chmod: (p: unknown, mode: number) => void,
          ...rest: unknown[]
        ) => void
      }
    }
  }
}

/**
 * Limits every chmod Emscripten's NODEFS does to the owner's bits. Self-contained (no closure):
 * the initdb child process runs this very function, from its source text.
 */
function maskChmod(mod: unknown): void {
  const nodefs = (mod as NodeFsModule).FS.filesystems.NODEFS
  const setattr = nodefs.setattr
  nodefs.setattr = (target, node, attr, chmod, ...rest) =>
    setattr(target, node, attr, (p, mode) => chmod(p, mode & 0o700), ...rest)
}

/** Emscripten's NODEFS with private files (maskChmod). */
export class PrivateNodeFS extends NodeFS {
  override async init(pg: PGlite, opts: Parameters<NodeFS['init']>[1]) {
    const result = await super.init(pg, opts)
    const preRun = (result.emscriptenOpts.preRun ?? []) as ((mod: unknown) => void)[]
    result.emscriptenOpts.preRun = [...preRun, maskChmod] as never
    return result
  }
}

export const isInitialised = (dataDir: string): boolean => fs.existsSync(`${dataDir}/PG_VERSION`)

/**
 * Runs initdb for `dataDir` in a child process (see above); the parent then opens an existing
 * cluster, which costs it ~200 MB instead of ~800 MB.
 */
export function initialiseInChild(dataDir: string): void {
  const require = createRequire(import.meta.url)
  const pglite = pathToFileURL(require.resolve('@electric-sql/pglite')).href
  const nodefs = pathToFileURL(require.resolve('@electric-sql/pglite/nodefs')).href
  const script = `
    process.umask(0o077)
    const { PGlite } = await import(${JSON.stringify(pglite)})
    const { NodeFS } = await import(${JSON.stringify(nodefs)})
    const maskChmod = ${maskChmod.toString()}
    class PrivateNodeFS extends NodeFS {
      async init(pg, opts) {
        const result = await super.init(pg, opts)
        result.emscriptenOpts.preRun = [...(result.emscriptenOpts.preRun ?? []), maskChmod]
        return result
      }
    }
    const db = await PGlite.create({ fs: new PrivateNodeFS(process.argv[1]) })
    await db.close()
  `
  execFileSync(process.execPath, ['--input-type=module', '-e', script, dataDir], {
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: 120_000,
  })
}
