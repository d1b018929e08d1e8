/**
 * A certificate authority and server certificates made with openssl for the HTTPS tests (the
 * test trusts its own CA; nothing here is trusted by the system).
 */
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'

export const INSTALL_OPENSSL = 'apt-get install -y openssl'

const openssl = (args: string[], cwd: string) => {
  try {
    execFileSync('openssl', args, { cwd, stdio: 'pipe' })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      throw new Error(`openssl not found. Install it with: ${INSTALL_OPENSSL}`, { cause: err })
    throw err
  }
}

export interface TestCa {
  dir: string
  certFile: string
  keyFile: string
  cert: Buffer
  /** A server certificate for 127.0.0.1 and localhost, signed by this CA. */
  issue(name: string): { certFile: string; keyFile: string; serial: string }
}

export function makeCa(dir: string): TestCa {
  fs.mkdirSync(dir, { recursive: true })
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=FaDO test CA',
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
    ],
    dir,
  )
  let serial = 1
  return {
    dir,
    certFile: path.join(dir, 'ca.crt'),
    keyFile: path.join(dir, 'ca.key'),
    cert: fs.readFileSync(path.join(dir, 'ca.crt')),
    issue(name) {
      const hex = (serial++).toString(16).padStart(16, '0')
      fs.writeFileSync(
        path.join(dir, `${name}.ext`),
        'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n',
      )
      openssl(
        [
          'req',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:P-256',
          '-nodes',
          '-subj',
          `/CN=${name}`,
          '-keyout',
          `${name}.key`,
          '-out',
          `${name}.csr`,
        ],
        dir,
      )
      openssl(
        [
          'x509',
          '-req',
          '-in',
          `${name}.csr`,
          '-CA',
          'ca.crt',
          '-CAkey',
          'ca.key',
          '-set_serial',
          `0x${hex}`,
          '-days',
          '1',
          '-extfile',
          `${name}.ext`,
          '-out',
          `${name}.crt`,
        ],
        dir,
      )
      return {
        certFile: path.join(dir, `${name}.crt`),
        keyFile: path.join(dir, `${name}.key`),
        serial: hex.replace(/^0+/, '').toUpperCase(),
      }
    },
  }
}
