import { presignSignatureV4, signV4 } from 'minio/dist/esm/signing.mjs'
import { describe, expect, it } from 'vitest'
import { amzDate, SigV4Signer } from './sigv4.js'

const ACCESS = 'AKIDEXAMPLE'
const SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY'

const requests = [
  { method: 'GET', path: '/bucket/key%20with%20space.txt', headers: {} },
  {
    method: 'GET',
    path: '/?events=s3%3AObjectCreated%3A%2A&ping=10&events=s3%3ABucket',
    headers: {},
  },
  { method: 'GET', path: '/bucket?location', headers: {} },
  {
    method: 'PUT',
    path: '/bucket/a/b.bin',
    headers: {
      'content-length': '100',
      'content-type': 'application/x-tar',
      'x-amz-meta-snowball-auto-extract': 'true',
      'x-amz-meta-note': 'two  spaces   here',
    },
  },
  { method: 'delete', path: '/bucket/x', headers: { 'user-agent': 'fado' } },
]

describe('SigV4Signer', () => {
  it('signs exactly as minio-js does, for every day the key is cached across', () => {
    const signer = new SigV4Signer(ACCESS, SECRET, 'us-east-1')
    for (const date of [
      new Date('2026-12-01T23:59:59.500Z'),
      new Date('2026-12-01T23:59:59.900Z'),
      new Date('2026-12-02T00:00:00.100Z'), // a new day: a new signing key
    ]) {
      for (const req of requests) {
        const headers: Record<string, string> = {
          ...req.headers,
          host: '127.0.0.1:9000',
          'x-amz-date': amzDate(date),
          'x-amz-content-sha256': 'UNSIGNED-PAYLOAD',
        }
        const ours = signer.authorization({ ...req, headers }, date, 'UNSIGNED-PAYLOAD')
        const theirs = signV4(
          { method: req.method, path: req.path, headers } as never,
          ACCESS,
          SECRET,
          'us-east-1',
          date,
          'UNSIGNED-PAYLOAD',
          's3',
        )
        expect(ours).toBe(theirs)
      }
    }
  })

  it('a different secret gives a different signature', () => {
    const date = new Date('2026-12-01T12:00:00Z')
    const req = { method: 'GET', path: '/b/k', headers: { host: 'h', 'x-amz-date': amzDate(date) } }
    expect(new SigV4Signer(ACCESS, SECRET, 'us-east-1').authorization(req, date, 'x')).not.toBe(
      new SigV4Signer(ACCESS, `${SECRET}x`, 'us-east-1').authorization(req, date, 'x'),
    )
  })

  it('pre-signs a URL exactly as minio-js does (only the host signed, any body)', () => {
    const signer = new SigV4Signer(ACCESS, SECRET, 'eu-central-1')
    const date = new Date('2026-12-03T10:11:12.000Z')
    for (const [method, path] of [
      ['GET', '/bucket/key%20with%20space.txt'],
      ['PUT', '/bucket/a/b.bin'],
      ['PUT', '/bucket/big.bin?partNumber=3&uploadId=abc%2Bdef'],
    ] as const) {
      const ours = signer.presign({ method, path, host: '127.0.0.1:9000' }, date, 900)
      const theirs = presignSignatureV4(
        { method, path, headers: { host: '127.0.0.1:9000' }, protocol: 'http:' },
        ACCESS,
        SECRET,
        '',
        'eu-central-1',
        date,
        900,
      ) as string
      expect(`http://127.0.0.1:9000${ours}`).toBe(theirs)
    }
  })
})
