import { describe, expect, it } from 'vitest'
import { encryptAdminBody, sioSeal } from './madmin.js'

/** Test vectors of secure-io/sio-go (test_vectors.json), the AES-GCM ones with 1 to 3 fragments. */
const VECTORS = [
  {
    BufSize: 16,
    Key: '00000000000000000000000000000000',
    Nonce: '0000000000000000',
    AssociatedData: '',
    Plaintext: '',
    Ciphertext: 'e0247a864e783cecb1f7996c13cd3f64',
  },
  {
    BufSize: 16,
    Key: '10000000000000000000000000000000',
    Nonce: '1000000000000000',
    AssociatedData: '00',
    Plaintext: '00',
    Ciphertext: '61ed193d12a2adf6f1c41f31de4ead6c5c',
  },
  {
    BufSize: 16,
    Key: '10000000000000000000000000000000',
    Nonce: '0000000000000002',
    AssociatedData: '',
    Plaintext: '0000000000000000000000000000000000',
    Ciphertext:
      '691deb7b9ccbee91f48d12c7ad5fe3cd4e1e5e7d394f06b91228ec9a5dd2456ac7de9502a0b4010fb1ee1db94e940458fb',
  },
  {
    BufSize: 16,
    Key: '20000000000000000000000000000000',
    Nonce: '2000000000000000',
    AssociatedData: '00',
    Plaintext: '0000000000000000000000000000000000000000000000000000000000000000',
    Ciphertext:
      'f58d8fef7ac7782a4361a79c07f5e6c4672d8a45e6cb9ef67cb7177897358deb8d338d313d44f78e0b68a3723d7ca0fe5f62aa8af0a72e508f5d5f8491ecedb2',
  },
  {
    BufSize: 16,
    Key: '000102030405060708090a0b0c0d0e0f',
    Nonce: '0001020304050607',
    AssociatedData: '0102030405060708090a0b0c0d0e0f10',
    Plaintext: '0000000000000000000000000000000000000000000000000000000000000000',
    Ciphertext:
      'beffe57efbdadb693b5545d58454ba746c5362c6f37b65da457d85bfe6af8972cfea267b03f14aedf25e7501e88c0d79f5440d0ac49e5c4fdaab4dfac9aec4d3',
  },
  {
    BufSize: 17,
    Key: '31dd758d120fd5d30063921a21f723be',
    Nonce: 'd3794fe387018e32',
    AssociatedData:
      '1d838b6e861ea7576de110e08818de82a27337a99db7b95aa95c3347971ad4cfa0ef0960d6645f5a64f88c7d',
    Plaintext: 'd0ae0d85e93ed6be853ded2031643116a03215b4fda224d2986d7233039aa47e91b686f4',
    Ciphertext:
      'a6fe911b94e0b25a25bf6da71f28ad6a6b6920be01589e9194226f77c164606545d5cbdb76c99415b468c54517f5a8bc8dc8ac13b1b4285fe36f37f7884d5e4bfb32ecef56b4026bf02bfb1d4fce222e01ef9db9',
  },
]

const hex = (s: string) => Buffer.from(s, 'hex')

describe('sio stream encryption (what MinIO decrypts admin bodies with)', () => {
  it.each(VECTORS.map((v, i) => [i, v] as const))('matches sio-go test vector %i', (_, v) => {
    const sealed = sioSeal(
      hex(v.Key),
      hex(v.Nonce),
      hex(v.Plaintext),
      hex(v.AssociatedData),
      v.BufSize,
    )
    expect(sealed.toString('hex')).toBe(v.Ciphertext)
  })

  it('frames an admin body as salt | 0x02 | nonce | one fragment per 16 KiB', () => {
    const small = encryptAdminBody('secret', 'notify_webhook:fado enable=on')
    expect(small[32]).toBe(0x02)
    expect(small.length).toBe(32 + 1 + 8 + 29 + 16)
    const large = encryptAdminBody('secret', 'x'.repeat(20_000))
    expect(large.length).toBe(41 + 20_000 + 2 * 16)
    expect(encryptAdminBody('secret', 'same').equals(encryptAdminBody('secret', 'same'))).toBe(
      false,
    )
  })
})
