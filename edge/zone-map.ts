/**
 * Pure: which zone a Workers edge serves a request from. One Worker deployment runs in every
 * Cloudflare location, so its zone is the request's: `FADO_ZONE_MAP` maps the location's IATA
 * code (`request.cf.colo`, e.g. "FRA") or continent (`request.cf.continent`, e.g. "EU") to a zone
 * name of FaDO's clusters; the colo wins over the continent, and `FADO_EDGE_ZONE` is the zone of
 * a request neither names (or of every request, without a map).
 *
 *   FADO_ZONE_MAP='{"colo": {"FRA": "eu-central"}, "continent": {"EU": "eu", "NA": "us"}}'
 */
import { ZONE } from './snapshot-rules.js'

export interface ZoneMap {
  colo: ReadonlyMap<string, string>
  continent: ReadonlyMap<string, string>
}

const CODE = /^[A-Z0-9]{2,8}$/

/** Parses FADO_ZONE_MAP; throws an Error naming the first bad entry. */
export function parseZoneMap(text: string): ZoneMap {
  let input: unknown
  try {
    input = JSON.parse(text)
  } catch {
    throw new Error('FADO_ZONE_MAP must be JSON: {"colo": {...}, "continent": {...}}')
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    throw new Error('FADO_ZONE_MAP must be an object with "colo" and/or "continent"')
  const out = { colo: new Map<string, string>(), continent: new Map<string, string>() }
  for (const [key, value] of Object.entries(input)) {
    if (key !== 'colo' && key !== 'continent')
      throw new Error(`FADO_ZONE_MAP.${key}: only "colo" and "continent" are known`)
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw new Error(`FADO_ZONE_MAP.${key} must be an object of codes to zone names`)
    for (const [code, zone] of Object.entries(value as Record<string, unknown>)) {
      if (!CODE.test(code))
        throw new Error(`FADO_ZONE_MAP.${key}.${code}: a code is 2 to 8 capital letters or digits`)
      if (typeof zone !== 'string' || !ZONE.test(zone))
        throw new Error(`FADO_ZONE_MAP.${key}.${code} must be a zone name`)
      out[key].set(code, zone)
    }
  }
  return out
}

/** The zone of a request from `cf` (colo, then continent), else `fallback`. */
export function zoneFor(
  map: ZoneMap | undefined,
  cf: { colo?: unknown; continent?: unknown } | undefined,
  fallback: string | undefined,
): string | undefined {
  if (map && cf) {
    if (typeof cf.colo === 'string') {
      const zone = map.colo.get(cf.colo)
      if (zone) return zone
    }
    if (typeof cf.continent === 'string') {
      const zone = map.continent.get(cf.continent)
      if (zone) return zone
    }
  }
  return fallback
}
