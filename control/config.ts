/**
 * Every option comes from a command-line flag, else an environment variable, else a default
 * (thesis §3.6.1). Values are validated once at start; a bad one is a ConfigError, which the
 * CLI prints with the option's name and turns into exit code 2.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import type { DbTarget } from './db/client.js'

export class ConfigError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ConfigError'
  }
}

interface OptionSpec<T> {
  env: string
  help: string
  /** Shown in help; undefined = no default. */
  default?: string
  parse(raw: string, flag: string): T
}

const port = (raw: string, flag: string): number => {
  if (!/^\d{1,5}$/.test(raw) || Number(raw) < 1 || Number(raw) > 65535) {
    throw new ConfigError(
      `--${flag} must be a port number from 1 to 65535, got ${JSON.stringify(raw)}`,
    )
  }
  return Number(raw)
}

const host = (raw: string, flag: string): string => {
  if (!/^[A-Za-z0-9.:_-]+$/.test(raw) && !/^\[[0-9A-Fa-f:.]+\]$/.test(raw)) {
    throw new ConfigError(`--${flag} must be a host name or IP address, got ${JSON.stringify(raw)}`)
  }
  return raw.replace(/^\[(.*)\]$/, '$1')
}

const text = (raw: string): string => raw

const database = (raw: string, flag: string): string => {
  if (raw === 'memory' || /^postgres(ql)?:\/\//.test(raw)) return raw
  throw new ConfigError(
    `--${flag} must be a postgres:// URL, or 'memory' for a throw-away embedded database`,
  )
}

const token = (raw: string, flag: string): string => {
  if (raw.length < 16 || !/^[\x21-\x7e]+$/.test(raw)) {
    throw new ConfigError(`--${flag} must be at least 16 printable characters without spaces`)
  }
  return raw
}

const httpBase = (raw: string, flag: string): string => {
  try {
    const url = new URL(raw)
    if (url.protocol === 'http:' || url.protocol === 'https:') return url.origin
  } catch {
    // fall through
  }
  throw new ConfigError(`--${flag} must be an http:// or https:// URL, got ${JSON.stringify(raw)}`)
}

const milliseconds = (raw: string, flag: string): number => {
  if (!/^\d{1,7}$/.test(raw) || Number(raw) < 1) {
    throw new ConfigError(
      `--${flag} must be a number of milliseconds from 1 to 9999999, got ${JSON.stringify(raw)}`,
    )
  }
  return Number(raw)
}

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1e3,
  kb: 1e3,
  kib: 2 ** 10,
  m: 1e6,
  mb: 1e6,
  mib: 2 ** 20,
  g: 1e9,
  gb: 1e9,
  gib: 2 ** 30,
  t: 1e12,
  tb: 1e12,
  tib: 2 ** 40,
}

/** A byte count: 1048576, 100MiB, 5GiB, 2.5GB (units are case-insensitive). */
export const bytes = (raw: string, flag: string): number => {
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(raw.trim())
  const unit = SIZE_UNITS[(m?.[2] ?? '').toLowerCase()]
  const value = m && unit !== undefined ? Math.floor(Number(m[1]) * unit) : NaN
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new ConfigError(
      `--${flag} must be a size in bytes such as 1048576, 100MiB or 5GiB, got ${JSON.stringify(raw)}`,
    )
  }
  return value
}

const SCOPE_NAMES = ['admin', 'edge', 'notify', 'metrics'] as const
const scope = (raw: string, flag: string): (typeof SCOPE_NAMES)[number] => {
  if ((SCOPE_NAMES as readonly string[]).includes(raw)) return raw as (typeof SCOPE_NAMES)[number]
  throw new ConfigError(`--${flag} must be one of ${SCOPE_NAMES.join(', ')}`)
}

const tokenName = (raw: string, flag: string): string => {
  if (/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(raw)) return raw
  throw new ConfigError(`--${flag} must be 1 to 63 letters, digits, '.', '_' or '-'`)
}

const positiveInt = (raw: string, flag: string): number => {
  if (/^[1-9]\d{0,9}$/.test(raw) && Number(raw) <= 2147483647) return Number(raw)
  throw new ConfigError(`--${flag} must be a positive whole number, got ${JSON.stringify(raw)}`)
}

const workers = (raw: string, flag: string): number => {
  if (raw === 'auto') return Math.max(1, os.availableParallelism())
  if (/^\d{1,3}$/.test(raw) && Number(raw) >= 1 && Number(raw) <= 256) return Number(raw)
  throw new ConfigError(`--${flag} must be 'auto' or a number of processes from 1 to 256`)
}

const file = (raw: string, flag: string): string => {
  if (!fs.existsSync(raw) || !fs.statSync(raw).isFile())
    throw new ConfigError(`--${flag}: no file ${JSON.stringify(raw)}`)
  return path.resolve(raw)
}

const proxyList = (raw: string, flag: string): string[] => {
  const entries = raw
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)
  for (const e of entries)
    if (!/^(\d{1,3}(\.\d{1,3}){3}(\/\d{1,2})?|[0-9A-Fa-f:]+)$/.test(e))
      throw new ConfigError(`--${flag}: ${JSON.stringify(e)} is not an IP address or IPv4 CIDR`)
  return entries
}

const logLevel = (raw: string, flag: string): 'info' | 'warn' => {
  if (raw === 'info' || raw === 'warn') return raw
  throw new ConfigError(`--${flag} must be 'info' or 'warn'`)
}

const logFormat = (raw: string, flag: string): 'text' | 'json' => {
  if (raw === 'text' || raw === 'json') return raw
  throw new ConfigError(`--${flag} must be 'text' or 'json'`)
}

export const OPTIONS = {
  'listen-host': {
    env: 'FADO_LISTEN_HOST',
    default: '127.0.0.1',
    help: 'address the API and edge listen on; not loopback = an admin token is required',
    parse: host,
  },
  'api-port': {
    env: 'FADO_API_PORT',
    default: '9090',
    help: 'port of the admin API and UI',
    parse: port,
  },
  'edge-port': {
    env: 'FADO_EDGE_PORT',
    default: '6000',
    help: 'port receiving function invocations',
    parse: port,
  },
  database: {
    env: 'FADO_DATABASE',
    help: "postgres:// URL; unset = embedded database in the data dir; 'memory' = in memory",
    parse: database,
  },
  'data-dir': {
    env: 'FADO_DATA_DIR',
    default: '.fado',
    help: 'folder for the embedded database, the generated admin token and edge state',
    parse: text,
  },
  'admin-token': {
    env: 'FADO_ADMIN_TOKEN',
    help: 'bearer token for the admin API; generated and stored in the data dir when unset on loopback',
    parse: token,
  },
  'control-url': {
    env: 'FADO_CONTROL_URL',
    help: 'URL of the control API: where an edge pulls route snapshots, and where `fado token` goes (there by default: this host’s own API port)',
    parse: httpBase,
  },
  'control-token': {
    env: 'FADO_CONTROL_TOKEN',
    help: 'token an edge presents to control: an edge-scope token (fado token create --scope edge)',
    parse: token,
  },
  scope: {
    env: 'FADO_TOKEN_SCOPE',
    help: "fado token create: 'admin', 'edge' (read route snapshots), 'notify' (deliver storage events) or 'metrics'",
    parse: scope,
  },
  name: {
    env: 'FADO_TOKEN_NAME',
    help: 'fado token create: a name for the token (letters, digits, . _ -)',
    parse: tokenName,
  },
  storage: {
    env: 'FADO_TOKEN_STORAGE',
    help: 'fado token create --scope notify: the alias of the storage deployment whose events the token delivers (it may be tracked later)',
    parse: tokenName,
  },
  'token-id': {
    env: 'FADO_TOKEN_ID',
    help: 'fado token revoke: the id of the token to revoke (fado token list shows them)',
    parse: positiveInt,
  },
  'connect-timeout': {
    env: 'FADO_CONNECT_TIMEOUT',
    default: '2000',
    help: 'ms the edge waits to connect to a FaaS endpoint before trying another',
    parse: milliseconds,
  },
  'upstream-timeout': {
    env: 'FADO_UPSTREAM_TIMEOUT',
    default: '60000',
    help: 'ms the edge waits for a FaaS endpoint’s response headers, and between body chunks',
    parse: milliseconds,
  },
  'storage-timeout': {
    env: 'FADO_STORAGE_TIMEOUT',
    default: '10000',
    help: 'ms FaDO waits on a storage deployment: to connect, for an answer, and between body chunks',
    parse: milliseconds,
  },
  'db-timeout': {
    env: 'FADO_DB_TIMEOUT',
    default: '5000',
    help: 'ms FaDO waits on PostgreSQL to connect and to answer a statement; then the API answers 503',
    parse: milliseconds,
  },
  'max-object-size': {
    env: 'FADO_MAX_OBJECT_SIZE',
    default: '5GiB',
    help: 'largest object an upload may carry (bytes, or with a unit: 100MiB, 5GiB); larger is 413',
    parse: bytes,
  },
  'multipart-threshold': {
    env: 'FADO_MULTIPART_THRESHOLD',
    default: '5GiB',
    help: 'objects larger than this (bytes, or 100MiB, 5GiB; at least 5MiB) are written to storage as multipart uploads; 5GiB is the most one S3 PUT may carry',
    parse: (raw: string, flag: string): number => {
      const value = bytes(raw, flag)
      if (value < 5 * 1024 * 1024)
        throw new ConfigError(`--${flag} must be at least 5MiB (S3's smallest part)`)
      return value
    },
  },
  'idle-timeout': {
    env: 'FADO_IDLE_TIMEOUT',
    default: '120000',
    help: 'ms a client connection may stay silent (no byte either way) before it is closed; long uploads and downloads are never cut off while they move',
    parse: milliseconds,
  },
  'header-timeout': {
    env: 'FADO_HEADER_TIMEOUT',
    default: '15000',
    help: 'ms a client has to send the headers of a request (API and edge); slower clients are cut off',
    parse: milliseconds,
  },
  'max-client-connections': {
    env: 'FADO_MAX_CLIENT_CONNECTIONS',
    default: '256',
    help: 'connections one client address may hold open to the API, and to the edge (shared among its workers; --trusted-proxies are exempt); 0 = no limit',
    parse: (raw: string, flag: string): number => (raw === '0' ? 0 : positiveInt(raw, flag)),
  },
  's3-poll-interval': {
    env: 'FADO_S3_POLL_INTERVAL',
    default: '5000',
    help: "ms between listings of masters on plain S3 servers (kind 's3'), which have no event stream: changes made directly there are found this often",
    parse: milliseconds,
  },
  'notify-url': {
    env: 'FADO_NOTIFY_URL',
    help: "where MinIO deployments deliver bucket events (this API's /api/notify as they reach it): FaDO configures a webhook target with it on each MinIO it tracks with admin credentials; 'off' = never. Default: this API's own URL when --listen-host is one address",
    parse: (raw: string, flag: string): string => {
      if (raw === 'off') return raw
      const url = URL.canParse(raw) ? new URL(raw) : undefined
      if ((url?.protocol === 'http:' || url?.protocol === 'https:') && !/[\s"]/.test(raw))
        return url.href
      throw new ConfigError(
        `--${flag} must be an http:// or https:// URL or 'off', got ${JSON.stringify(raw)}`,
      )
    },
  },
  workers: {
    env: 'FADO_WORKERS',
    default: 'auto',
    help: "edge worker processes serving invocations ('auto' = one per CPU)",
    parse: workers,
  },
  'tls-cert': {
    env: 'FADO_TLS_CERT',
    help: 'PEM certificate (chain) file: the API and the edge serve HTTPS (with --tls-key); read again when it changes',
    parse: file,
  },
  'tls-key': {
    env: 'FADO_TLS_KEY',
    help: 'PEM private key file for --tls-cert',
    parse: file,
  },
  'trusted-proxies': {
    env: 'FADO_TRUSTED_PROXIES',
    help: 'comma-separated IPs or IPv4 CIDRs of proxies in front of the edge whose X-Forwarded-For / Forwarded are kept',
    parse: proxyList,
  },
  'wan-rtt': {
    env: 'FADO_WAN_RTT',
    default: '20',
    help: 'demo: round-trip time in ms of the emulated WAN links between clusters',
    parse: milliseconds,
  },
  'wan-mbit': {
    env: 'FADO_WAN_MBIT',
    default: '100',
    help: 'demo: bandwidth in Mbit/s of each emulated WAN link direction',
    parse: milliseconds,
  },
  'metrics-port': {
    env: 'FADO_METRICS_PORT',
    help: 'port where the edge serves Prometheus metrics (GET /metrics); unset = none. Never the invocation port',
    parse: port,
  },
  'metrics-host': {
    env: 'FADO_METRICS_HOST',
    default: '127.0.0.1',
    help: 'address the edge metrics port listens on (loopback unless you say otherwise)',
    parse: host,
  },
  'log-level': {
    env: 'FADO_LOG_LEVEL',
    default: 'info',
    help: "'info' or 'warn'",
    parse: logLevel,
  },
  'log-format': {
    env: 'FADO_LOG_FORMAT',
    default: 'text',
    help: "'text' (time level message key=value) or 'json' (one object per line)",
    parse: logFormat,
  },
} satisfies Record<string, OptionSpec<unknown>>

export type OptionName = keyof typeof OPTIONS
type Parsed<N extends OptionName> = ReturnType<(typeof OPTIONS)[N]['parse']>
type Camel<S extends string> = S extends `${infer H}-${infer T}` ? `${H}${Capitalize<Camel<T>>}` : S

export interface CommandSpec {
  summary: string
  options: readonly OptionName[]
  /** Options without a default that this command cannot do without. */
  required?: readonly OptionName[]
}

/** What bounds control's work with the outside world and its clients. */
const CONTROL_LIMITS = [
  'storage-timeout',
  'db-timeout',
  'max-object-size',
  'idle-timeout',
  'header-timeout',
  'max-client-connections',
  'multipart-threshold',
  's3-poll-interval',
  'notify-url',
] as const
const TLS = ['tls-cert', 'tls-key'] as const

export const COMMANDS = {
  standalone: {
    summary: 'control API + admin UI + edge in one process (embedded database by default)',
    options: [
      'listen-host',
      'api-port',
      'edge-port',
      'database',
      'data-dir',
      'admin-token',
      ...CONTROL_LIMITS,
      'workers',
      'connect-timeout',
      'upstream-timeout',
      ...TLS,
      'trusted-proxies',
      'metrics-port',
      'metrics-host',
      'log-level',
      'log-format',
    ],
  },
  control: {
    summary: 'control API + admin UI only; edges pull route snapshots from it',
    options: [
      'listen-host',
      'api-port',
      'database',
      'data-dir',
      'admin-token',
      ...CONTROL_LIMITS,
      ...TLS,
      'log-level',
      'log-format',
    ],
  },
  edge: {
    summary: 'invocation router only, fed by a control process',
    options: [
      'listen-host',
      'edge-port',
      'control-url',
      'control-token',
      'data-dir',
      'workers',
      'connect-timeout',
      'upstream-timeout',
      'header-timeout',
      'max-client-connections',
      ...TLS,
      'trusted-proxies',
      'metrics-port',
      'metrics-host',
      'log-level',
      'log-format',
    ],
    required: ['control-url', 'control-token'],
  },
  token: {
    summary:
      'manage API tokens on a running control: fado token create --scope edge --name NAME (notify: --storage ALIAS) | list | revoke --token-id N',
    options: [
      'control-url',
      'admin-token',
      'listen-host',
      'api-port',
      'data-dir',
      'scope',
      'name',
      'storage',
      'token-id',
      'log-level',
      'log-format',
    ],
  },
  demo: {
    summary:
      'a complete local platform: 3 clusters with MinIO and function servers, WAN links, FaDO',
    options: [
      'listen-host',
      'api-port',
      'edge-port',
      'admin-token',
      'wan-rtt',
      'wan-mbit',
      'log-level',
      'log-format',
    ],
  },
  migrate: {
    summary: 'apply pending database migrations and exit',
    options: ['database', 'data-dir', 'db-timeout', 'log-level', 'log-format'],
  },
} as const satisfies Record<string, CommandSpec>

export type CommandName = keyof typeof COMMANDS

type HasDefault<N extends OptionName> = (typeof OPTIONS)[N] extends { default: string } ? N : never
type Defaulted = { [N in OptionName]: HasDefault<N> }[OptionName]

/**
 * A fully resolved configuration: every option with a default has its value (resolved once,
 * here), the others are undefined unless given.
 */
export type Config = { [N in Defaulted as Camel<N>]: Parsed<N> } & {
  [N in Exclude<OptionName, Defaulted> as Camel<N>]?: Parsed<N> | undefined
}

/** The configuration with every default filled in, then `overrides` on top (for tests and demo). */
export function defaultConfig(overrides: Partial<Config> = {}): Config {
  const config: Record<string, unknown> = {}
  for (const [name, option] of Object.entries(OPTIONS) as [OptionName, OptionSpec<unknown>][]) {
    if (option.default !== undefined) config[camel(name)] = option.parse(option.default, name)
  }
  return { ...(config as Config), ...stripUndefined(overrides) }
}

const stripUndefined = <T extends object>(value: T): Partial<T> =>
  Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>

/** Parses argv (without the command) against the command's options; env and defaults fill in. */
export function parseConfig(
  command: CommandName,
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Config {
  const spec: CommandSpec = COMMANDS[command]
  let values: Record<string, string | boolean | undefined>
  try {
    ;({ values } = parseArgs({
      args: [...argv],
      options: Object.fromEntries(spec.options.map((o) => [o, { type: 'string' as const }])),
      strict: true,
      allowPositionals: false,
    }))
  } catch (err) {
    throw new ConfigError((err as Error).message.split('\n')[0] ?? 'bad arguments')
  }
  const config: Record<string, unknown> = { ...defaultConfig() }
  for (const name of spec.options) {
    const option: OptionSpec<unknown> = OPTIONS[name]
    const fromFlag = values[name]
    const raw = typeof fromFlag === 'string' ? fromFlag : env[option.env] || option.default
    if (raw === undefined) {
      if (spec.required?.includes(name)) {
        throw new ConfigError(`fado ${command} needs --${name} (or ${option.env})`)
      }
      continue
    }
    config[camel(name)] = option.parse(raw, name)
  }
  if ((config.tlsCert === undefined) !== (config.tlsKey === undefined))
    throw new ConfigError('--tls-cert and --tls-key go together')
  return config as Config
}

const camel = (name: string): string => name.replace(/-(\w)/g, (_m, c: string) => c.toUpperCase())

export function isLoopback(hostName: string): boolean {
  return hostName === 'localhost' || hostName === '::1' || /^127\.\d+\.\d+\.\d+$/.test(hostName)
}

/** The TLS files, when --tls-cert / --tls-key are given. */
export const tlsOf = (config: Config) =>
  config.tlsCert && config.tlsKey ? { certFile: config.tlsCert, keyFile: config.tlsKey } : undefined

export function dbTarget(config: Config): DbTarget {
  const timeoutMs = config.dbTimeout
  if (config.database === 'memory') return { kind: 'pglite-memory' }
  if (config.database) return { kind: 'postgres', url: config.database, timeoutMs }
  return { kind: 'pglite', dataDir: path.join(config.dataDir, 'pgdata') }
}

export function helpText(command?: CommandName): string {
  if (!command) {
    const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length))
    return [
      'FaDO: Function and Data Orchestrator',
      '',
      'Usage: fado <command> [options]',
      '',
      'Commands:',
      ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
      '',
      'Options (each also read from its environment variable; flags win):',
      ...optionLines(Object.keys(OPTIONS) as OptionName[]),
      '',
      "Run 'fado <command> --help' for the options of one command.",
    ].join('\n')
  }
  const spec: CommandSpec = COMMANDS[command]
  return [
    `Usage: fado ${command} [options]`,
    '',
    spec.summary,
    '',
    'Options (each also read from its environment variable; flags win):',
    ...optionLines(spec.options),
  ].join('\n')
}

function optionLines(names: readonly OptionName[]): string[] {
  return names.flatMap((name) => {
    const o: OptionSpec<unknown> = OPTIONS[name]
    const dflt = o.default === undefined ? '' : ` (default: ${o.default})`
    return [`  --${name} <value>, ${o.env}`, `      ${o.help}${dflt}`]
  })
}
