/**
 * A process's configuration: every option (cli/options.ts) resolved once at start — from a flag,
 * else an environment variable, else its default — and the slices each part of the process reads.
 * A bad value is a ConfigError, which the CLI prints with the option's name (exit code 2).
 */
import path from 'node:path'
import { camel, OPTIONS, type OptionName, type OptionSpec } from './cli/options.js'
import type { DbTarget } from './db/client.js'

type Parsed<N extends OptionName> = ReturnType<(typeof OPTIONS)[N]['parse']>
type Camel<S extends string> = S extends `${infer H}-${infer T}` ? `${H}${Capitalize<Camel<T>>}` : S

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

export function isLoopback(hostName: string): boolean {
  return hostName === 'localhost' || hostName === '::1' || /^127\.\d+\.\d+\.\d+$/.test(hostName)
}

/** The TLS files, when --tls-cert / --tls-key are given. */
export const tlsOf = (config: Pick<Config, 'tlsCert' | 'tlsKey'>) =>
  config.tlsCert && config.tlsKey ? { certFile: config.tlsCert, keyFile: config.tlsKey } : undefined

export function dbTarget(config: DatabaseConfig): DbTarget {
  const timeoutMs = config.dbTimeout
  if (config.database === 'memory') return { kind: 'pglite-memory' }
  if (config.database) return { kind: 'postgres', url: config.database, timeoutMs }
  return { kind: 'pglite', dataDir: path.join(config.dataDir, 'pgdata') }
}

/** What a control process (control, standalone) reads: no demo knobs, no token-command arguments. */
export type ControlConfig = Omit<
  Config,
  | 'wanRtt'
  | 'wanMbit'
  | 'scope'
  | 'name'
  | 'storage'
  | 'tokenId'
  | 'controlUrl'
  | 'controlToken'
  | 'token'
  | 'cluster'
  | 'storageEndpoint'
  | 'agentConcurrency'
>

/** What `fado agent` reads: where control is, its token and cluster, and where it reaches storage. */
export type AgentConfig = Pick<
  Config,
  | 'controlUrl'
  | 'token'
  | 'cluster'
  | 'storageEndpoint'
  | 'agentConcurrency'
  | 'storageTimeout'
  | 'logLevel'
  | 'logFormat'
>

/** What `fado migrate` (and opening the database) reads. */
export type DatabaseConfig = Pick<Config, 'database' | 'dataDir' | 'dbTimeout'>

/** What `fado token` reads: where control is, the admin token, and the subcommand's arguments. */
export type TokenCommandConfig = Pick<
  Config,
  | 'controlUrl'
  | 'adminToken'
  | 'listenHost'
  | 'apiPort'
  | 'dataDir'
  | 'scope'
  | 'name'
  | 'storage'
  | 'cluster'
  | 'tokenId'
>

/** What `fado demo` reads. */
export type DemoConfig = Pick<
  Config,
  | 'listenHost'
  | 'apiPort'
  | 'edgePort'
  | 'adminToken'
  | 'wanRtt'
  | 'wanMbit'
  | 'logLevel'
  | 'logFormat'
>

/** How the edge serves invocations, as `fado edge` and `fado standalone` both run it. */
export function edgeServing(
  config: Pick<
    Config,
    | 'listenHost'
    | 'edgePort'
    | 'connectTimeout'
    | 'upstreamTimeout'
    | 'headerTimeout'
    | 'maxClientConnections'
    | 'workers'
    | 'zone'
    | 'edgeZone'
    | 'trustedProxies'
    | 'tlsCert'
    | 'tlsKey'
    | 'logLevel'
    | 'logFormat'
    | 'metricsPort'
    | 'metricsHost'
  >,
) {
  return {
    host: config.listenHost,
    port: config.edgePort,
    connectTimeoutMs: config.connectTimeout,
    upstreamTimeoutMs: config.upstreamTimeout,
    headerTimeoutMs: config.headerTimeout,
    maxClientConnections: config.maxClientConnections,
    workers: config.workers,
    zone: config.zone ?? config.edgeZone,
    trustedProxies: config.trustedProxies,
    tls: tlsOf(config),
    quiet: config.logLevel === 'warn',
    logFormat: config.logFormat,
    metrics:
      config.metricsPort === undefined
        ? undefined
        : { host: config.metricsHost, port: config.metricsPort },
  }
}

/** How control bounds its work with storage deployments (storage/types.ts StorageOptions). */
export const storageSettings = (config: Pick<Config, 'storageTimeout' | 'multipartThreshold'>) => ({
  timeoutMs: config.storageTimeout,
  multipartThresholdBytes: config.multipartThreshold,
})
