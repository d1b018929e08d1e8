/**
 * Every option FaDO takes: its flag, environment variable, default and parser (thesis §3.6.1).
 * Flags win over the environment, the environment over defaults.
 */
import { ConfigError } from '../lib/errors.js'
import {
  bytes,
  database,
  file,
  host,
  httpBase,
  logFormat,
  logLevel,
  mbit,
  milliseconds,
  port,
  positiveInt,
  proxyList,
  scope,
  storageEndpoints,
  text,
  urlSeconds,
  token,
  tokenName,
  workers,
  zoneName,
} from './parsers.js'

export interface OptionSpec<T> {
  env: string
  help: string
  /** Shown in help; undefined = no default. */
  default?: string
  /** The flag may be given more than once: its values are joined with commas. */
  multiple?: true
  parse(raw: string, flag: string): T
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
  'full-pass-interval': {
    env: 'FADO_FULL_PASS_INTERVAL',
    default: '60000',
    help: "ms between full passes over a bucket (the safety net for changes events missed): a bucket is verified again this long after its last pass ended, or ten times that pass's duration when longer",
    parse: milliseconds,
  },
  's3-poll-interval': {
    env: 'FADO_S3_POLL_INTERVAL',
    default: '5000',
    help: "ms between steps of the scan of masters on plain S3 servers (kind 's3'), which have no event stream: each step lists for at most half of it, from where the last stopped; changes made directly there are found within one lap of the bucket",
    parse: milliseconds,
  },
  'agent-lease': {
    env: 'FADO_AGENT_LEASE',
    default: '30000',
    help: 'ms an agent holds a piece of copy work without renewing it; after that the work is offered to another agent, and a late result is refused',
    parse: milliseconds,
  },
  'agent-url-expiry': {
    env: 'FADO_AGENT_URL_EXPIRY',
    default: '900',
    help: 'seconds the pre-signed URLs handed to an agent stay valid (an agent asks for fresh ones when one expires on the way)',
    parse: urlSeconds,
  },
  token: {
    env: 'FADO_AGENT_TOKEN',
    help: 'fado agent: its agent-scope token (fado token create --scope agent --cluster NAME)',
    parse: token,
  },
  cluster: {
    env: 'FADO_CLUSTER',
    help: 'fado agent: the cluster it runs in (its token must be for that cluster); fado token create --scope agent: the cluster the token is for',
    parse: text,
  },
  'storage-endpoint': {
    env: 'FADO_STORAGE_ENDPOINTS',
    multiple: true,
    help: "fado agent: ALIAS=HOST:PORT where this agent reaches a storage deployment at another address than control does (a cluster-internal name, a private link); repeat the flag or separate with commas. Control signs the agent's URLs for that host",
    parse: storageEndpoints,
  },
  'agent-concurrency': {
    env: 'FADO_AGENT_CONCURRENCY',
    default: '8',
    help: 'fado agent: pieces of copy work carried out at once',
    parse: positiveInt,
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
  zone: {
    env: 'FADO_EDGE_ZONE',
    help: "the zone this edge stands in (a cluster zone name, e.g. 'eu'): invocations prefer FaaS endpoints in clusters with it, and demand is counted per zone",
    parse: zoneName,
  },
  'edge-zone': {
    env: 'FADO_EDGE_ZONE',
    help: 'the zone the in-process edge stands in (a cluster zone name): as `fado edge --zone`',
    parse: zoneName,
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
    parse: mbit,
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

export const camel = (name: string): string =>
  name.replace(/-(\w)/g, (_m, c: string) => c.toUpperCase())
