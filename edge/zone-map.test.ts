import { describe, expect, it } from 'vitest'
import { parseZoneMap, zoneFor } from './zone-map.js'

describe('zone map (Workers: the zone of a request by where it arrived)', () => {
  const map = parseZoneMap('{"colo": {"FRA": "eu-central"}, "continent": {"EU": "eu", "NA": "us"}}')

  it('the colo wins over the continent; the fallback takes what neither names', () => {
    expect(zoneFor(map, { colo: 'FRA', continent: 'EU' }, 'default')).toBe('eu-central')
    expect(zoneFor(map, { colo: 'AMS', continent: 'EU' }, 'default')).toBe('eu')
    expect(zoneFor(map, { colo: 'IAD', continent: 'NA' }, undefined)).toBe('us')
    expect(zoneFor(map, { colo: 'SIN', continent: 'AS' }, 'default')).toBe('default')
    expect(zoneFor(map, undefined, 'default')).toBe('default')
    expect(zoneFor(undefined, { colo: 'FRA' }, undefined)).toBeUndefined()
  })

  it('refuses a bad map, naming the entry', () => {
    expect(() => parseZoneMap('{')).toThrow(/must be JSON/)
    expect(() => parseZoneMap('[]')).toThrow(/must be an object/)
    expect(() => parseZoneMap('{"city": {}}')).toThrow(/FADO_ZONE_MAP.city/)
    expect(() => parseZoneMap('{"colo": {"fra": "eu"}}')).toThrow(/FADO_ZONE_MAP.colo.fra/)
    expect(() => parseZoneMap('{"colo": {"FRA": "eu central"}}')).toThrow(
      /FADO_ZONE_MAP.colo.FRA must be a zone name/,
    )
  })
})
