/**
 * The commands (`fado <command>`), the options each takes, and how a command line becomes a
 * Config: flags, else environment, else defaults; then the help text.
 */
import { parseArgs } from 'node:util'
import { defaultConfig, type Config } from '../config.js'
import { ConfigError } from '../lib/errors.js'
import { camel, OPTIONS, type OptionName, type OptionSpec } from './options.js'

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
  'full-pass-interval',
  's3-poll-interval',
  'agent-lease',
  'agent-url-expiry',
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
      'edge-zone',
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
      'zone',
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
  agent: {
    summary:
      'moves replica bytes next to the storage of one cluster, with work and pre-signed URLs from control',
    options: [
      'control-url',
      'token',
      'cluster',
      'storage-endpoint',
      'agent-concurrency',
      'storage-timeout',
      'log-level',
      'log-format',
    ],
    required: ['control-url', 'token', 'cluster'],
  },
  token: {
    summary:
      'manage API tokens on a running control: fado token create --scope edge --name NAME (notify: --storage ALIAS; agent: --cluster NAME) | list | revoke --token-id N',
    options: [
      'control-url',
      'admin-token',
      'listen-host',
      'api-port',
      'data-dir',
      'scope',
      'name',
      'storage',
      'cluster',
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

/** Parses argv (without the command) against the command's options; env and defaults fill in. */
export function parseConfig(
  command: CommandName,
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Config {
  const spec: CommandSpec = COMMANDS[command]
  let values: Record<string, string | boolean | (string | boolean)[] | undefined>
  try {
    ;({ values } = parseArgs({
      args: [...argv],
      options: Object.fromEntries(
        spec.options.map((o) => [
          o,
          {
            type: 'string' as const,
            ...((OPTIONS[o] as OptionSpec<unknown>).multiple ? { multiple: true } : {}),
          },
        ]),
      ),
      strict: true,
      allowPositionals: false,
    }))
  } catch (err) {
    throw new ConfigError((err as Error).message.split('\n')[0] ?? 'bad arguments')
  }
  const config: Record<string, unknown> = { ...defaultConfig() }
  for (const name of spec.options) {
    const option: OptionSpec<unknown> = OPTIONS[name]
    const given: unknown = values[name]
    const fromFlag = Array.isArray(given) ? given.join(',') : given
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
