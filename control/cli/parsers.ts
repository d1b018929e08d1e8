/**
 * Parsers of option values: each takes the raw text and the flag's name, and answers the value or
 * throws a ConfigError naming the flag.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { ZONE } from '../../edge/snapshot-rules.js'
import { ConfigError } from '../lib/errors.js'

export const port = (raw: string, flag: string): number => {
  if (!/^\d{1,5}$/.test(raw) || Number(raw) < 1 || Number(raw) > 65535) {
    throw new ConfigError(
      `--${flag} must be a port number from 1 to 65535, got ${JSON.stringify(raw)}`,
    )
  }
  return Number(raw)
}

export const host = (raw: string, flag: string): string => {
  if (!/^[A-Za-z0-9.:_-]+$/.test(raw) && !/^\[[0-9A-Fa-f:.]+\]$/.test(raw)) {
    throw new ConfigError(`--${flag} must be a host name or IP address, got ${JSON.stringify(raw)}`)
  }
  return raw.replace(/^\[(.*)\]$/, '$1')
}

export const text = (raw: string): string => raw

export const database = (raw: string, flag: string): string => {
  if (raw === 'memory' || /^postgres(ql)?:\/\//.test(raw)) return raw
  throw new ConfigError(
    `--${flag} must be a postgres:// URL, or 'memory' for a throw-away embedded database`,
  )
}

export const token = (raw: string, flag: string): string => {
  if (raw.length < 16 || !/^[\x21-\x7e]+$/.test(raw)) {
    throw new ConfigError(`--${flag} must be at least 16 printable characters without spaces`)
  }
  return raw
}

export const httpBase = (raw: string, flag: string): string => {
  try {
    const url = new URL(raw)
    if (url.protocol === 'http:' || url.protocol === 'https:') return url.origin
  } catch {
    // fall through
  }
  throw new ConfigError(`--${flag} must be an http:// or https:// URL, got ${JSON.stringify(raw)}`)
}

export const milliseconds = (raw: string, flag: string): number => {
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

export const SCOPE_NAMES = ['admin', 'edge', 'notify', 'metrics', 'agent'] as const
export const scope = (raw: string, flag: string): (typeof SCOPE_NAMES)[number] => {
  if ((SCOPE_NAMES as readonly string[]).includes(raw)) return raw as (typeof SCOPE_NAMES)[number]
  throw new ConfigError(`--${flag} must be one of ${SCOPE_NAMES.join(', ')}`)
}

export const tokenName = (raw: string, flag: string): string => {
  if (/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(raw)) return raw
  throw new ConfigError(`--${flag} must be 1 to 63 letters, digits, '.', '_' or '-'`)
}

export const zoneName = (raw: string, flag: string): string => {
  if (ZONE.test(raw)) return raw
  throw new ConfigError(`--${flag} must be a zone name: 1 to 63 letters, digits, '.', '_' or '-'`)
}

export const positiveInt = (raw: string, flag: string): number => {
  if (/^[1-9]\d{0,9}$/.test(raw) && Number(raw) <= 2147483647) return Number(raw)
  throw new ConfigError(`--${flag} must be a positive whole number, got ${JSON.stringify(raw)}`)
}

export const workers = (raw: string, flag: string): number => {
  if (raw === 'auto') return Math.max(1, os.availableParallelism())
  if (/^\d{1,3}$/.test(raw) && Number(raw) >= 1 && Number(raw) <= 256) return Number(raw)
  throw new ConfigError(`--${flag} must be 'auto' or a number of processes from 1 to 256`)
}

export const file = (raw: string, flag: string): string => {
  if (!fs.existsSync(raw) || !fs.statSync(raw).isFile())
    throw new ConfigError(`--${flag}: no file ${JSON.stringify(raw)}`)
  return path.resolve(raw)
}

export const proxyList = (raw: string, flag: string): string[] => {
  const entries = raw
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)
  for (const e of entries)
    if (!/^(\d{1,3}(\.\d{1,3}){3}(\/\d{1,2})?|[0-9A-Fa-f:]+)$/.test(e))
      throw new ConfigError(`--${flag}: ${JSON.stringify(e)} is not an IP address or IPv4 CIDR`)
  return entries
}

export const logLevel = (raw: string, flag: string): 'info' | 'warn' => {
  if (raw === 'info' || raw === 'warn') return raw
  throw new ConfigError(`--${flag} must be 'info' or 'warn'`)
}

/** A bandwidth in Mbit/s, from 1 to 100000. */
export const mbit = (raw: string, flag: string): number => {
  if (/^\d{1,6}$/.test(raw) && Number(raw) >= 1 && Number(raw) <= 100_000) return Number(raw)
  throw new ConfigError(
    `--${flag} must be a bandwidth in Mbit/s from 1 to 100000, got ${JSON.stringify(raw)}`,
  )
}

export const logFormat = (raw: string, flag: string): 'text' | 'json' => {
  if (raw === 'text' || raw === 'json') return raw
  throw new ConfigError(`--${flag} must be 'text' or 'json'`)
}

/** `ALIAS=HOST:PORT`, comma-separated (or the flag repeated): where an agent reaches storages. */
export const storageEndpoints = (raw: string, flag: string): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const item of raw
    .split(',')
    .map((i) => i.trim())
    .filter((i) => i !== '')) {
    const m = /^([A-Za-z0-9._-]{1,63})=([A-Za-z0-9.-]{1,253}:\d{1,5})$/.exec(item)
    if (!m?.[1] || !m[2])
      throw new ConfigError(
        `--${flag} must be ALIAS=HOST:PORT (the storage deployment's alias, the address this agent reaches it at), got '${item}'`,
      )
    out[m[1]] = m[2]
  }
  return out
}

/** Seconds, 1 to 604800 (a week: the longest a SigV4 pre-signed URL may be valid). */
export const urlSeconds = (raw: string, flag: string): number => {
  const n = Number(raw)
  if (Number.isInteger(n) && n >= 1 && n <= 604_800) return n
  throw new ConfigError(`--${flag} must be whole seconds from 1 to 604800`)
}
