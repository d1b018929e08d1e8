/**
 * Files holding state or secrets are private to FaDO's user. The process runs with umask 077, the
 * data dir is 0700 and anything in it that is group or world accessible is made private at start;
 * a token or key file readable by others is refused (someone may have read it): exit 2, naming it.
 */
import fs from 'node:fs'
import path from 'node:path'
import { ConfigError } from '../lib/errors.js'

/** Everything this process creates from now on: rw for its user only. */
export function restrictUmask(): void {
  process.umask(0o077)
}

/** Refuses a secret file that others could read or write. */
export function requirePrivateFile(relative: string): void {
  const file = path.resolve(relative)
  const mode = fs.statSync(file).mode & 0o777
  if (mode & 0o077) {
    throw new ConfigError(
      `${file} is readable or writable by others (mode ${mode.toString(8).padStart(3, '0')}); it holds a secret: replace the secret, then chmod 600 ${file}`,
    )
  }
}

/** Creates the data dir 0700, or takes group/world access away from it and all it holds. */
export function privateDataDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 })
  const walk = (p: string) => {
    const stat = fs.lstatSync(p)
    if (stat.isSymbolicLink()) return
    if (stat.mode & 0o077) fs.chmodSync(p, stat.mode & 0o700)
    if (stat.isDirectory()) for (const name of fs.readdirSync(p)) walk(path.join(p, name))
  }
  walk(dir)
}
