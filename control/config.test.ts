import { describe, expect, it } from 'vitest'
import { parseConfig } from './cli/commands.js'
import { dbTarget, isLoopback } from './config.js'
import { ConfigError } from './lib/errors.js'

describe('parseConfig', () => {
  it('takes a flag over an environment variable over a default', () => {
    expect(parseConfig('standalone', [], {})).toMatchObject({
      listenHost: '127.0.0.1',
      apiPort: 9090,
      edgePort: 6000,
      dataDir: '.fado',
    })
    expect(parseConfig('standalone', [], { FADO_API_PORT: '8000' }).apiPort).toBe(8000)
    expect(
      parseConfig('standalone', ['--api-port', '7000'], { FADO_API_PORT: '8000' }).apiPort,
    ).toBe(7000)
    expect(parseConfig('standalone', ['--api-port=7001'], {}).apiPort).toBe(7001)
  })

  it('rejects bad values with the option name', () => {
    expect(() => parseConfig('standalone', ['--api-port', '0'], {})).toThrow(ConfigError)
    expect(() => parseConfig('standalone', [], { FADO_API_PORT: '99999' })).toThrow(/--api-port/)
    expect(() => parseConfig('standalone', ['--database', 'sqlite://x'], {})).toThrow(/--database/)
    expect(() => parseConfig('control', ['--edge-port', '1'], {})).toThrow(/edge-port/) // not a control option
    expect(() => parseConfig('standalone', ['positional'], {})).toThrow(ConfigError)
  })

  it('reads a WAN bandwidth as Mbit/s, not as milliseconds', () => {
    expect(parseConfig('demo', ['--wan-mbit', '250'], {}).wanMbit).toBe(250)
    expect(() => parseConfig('demo', ['--wan-mbit', '0'], {})).toThrow(/--wan-mbit.*Mbit\/s/)
    expect(() => parseConfig('demo', ['--wan-mbit', '1000000'], {})).toThrow(/--wan-mbit/)
  })

  it('knows where the database is', () => {
    expect(dbTarget(parseConfig('standalone', [], {}))).toEqual({
      kind: 'pglite',
      dataDir: '.fado/pgdata',
    })
    expect(dbTarget(parseConfig('standalone', ['--database', 'memory'], {}))).toEqual({
      kind: 'pglite-memory',
    })
    expect(dbTarget(parseConfig('standalone', [], { FADO_DATABASE: 'postgres://u@h/db' }))).toEqual(
      { kind: 'postgres', url: 'postgres://u@h/db', timeoutMs: 5000 },
    )
  })

  it('resolves every default once, and reads sizes with units', () => {
    const config = parseConfig('control', [], {})
    expect(config).toMatchObject({
      storageTimeout: 10_000,
      dbTimeout: 5_000,
      maxObjectSize: 5 * 2 ** 30,
      idleTimeout: 120_000,
      edgePort: 6000, // not a control option, still resolved
    })
    expect(parseConfig('control', ['--max-object-size', '100MiB'], {}).maxObjectSize).toBe(
      100 * 2 ** 20,
    )
    expect(parseConfig('control', ['--max-object-size', '2.5GB'], {}).maxObjectSize).toBe(2.5e9)
    expect(parseConfig('control', [], { FADO_MAX_OBJECT_SIZE: '4096' }).maxObjectSize).toBe(4096)
    for (const bad of ['0', 'lots', '5 parsecs', '-1'])
      expect(() => parseConfig('control', ['--max-object-size', bad], {})).toThrow(
        /--max-object-size/,
      )
    expect(() => parseConfig('control', ['--storage-timeout', '0'], {})).toThrow(/storage-timeout/)
  })

  it('tells loopback addresses apart', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '::1']) expect(isLoopback(h)).toBe(true)
    for (const h of ['0.0.0.0', '10.0.0.1', '::', 'example.org']) expect(isLoopback(h)).toBe(false)
  })
})
