/**
 * MinIO's admin API takes configuration (set-config-kv) only as an encrypted body, sealed with
 * the caller's secret key (madmin-go's EncryptData, read back by the server's DecryptData):
 *
 *   salt (32) | algorithm id (1) | nonce (8) | sio stream of the plaintext
 *
 * FaDO uses algorithm 0x02, PBKDF2-SHA256 (8,192 rounds) + AES-256-GCM — what madmin itself uses
 * in FIPS mode, and which every server decrypts whatever its mode — so Node's own crypto does it,
 * without an Argon2 dependency. The sio stream (secure-io/sio-go) cuts the plaintext into 16 KiB
 * fragments, each sealed with the nonce followed by a little-endian 32-bit sequence number
 * (from 1), and with associated data 0x00 (0x80 on the final fragment) followed by the tag of
 * sealing nothing under sequence number 0.
 */
import { createCipheriv, pbkdf2Sync, randomBytes } from 'node:crypto'

const PBKDF2_AES_GCM = 0x02
const PBKDF2_ROUNDS = 8192
/** sio's recommended (and madmin's) fragment size. */
const FRAGMENT = 1 << 14

function sealFragment(key: Buffer, nonce: Buffer, seq: number, data: Buffer, aad: Buffer): Buffer {
  const iv = Buffer.alloc(12)
  nonce.copy(iv)
  iv.writeUInt32LE(seq, 8)
  const cipher = createCipheriv(key.length === 16 ? 'aes-128-gcm' : 'aes-256-gcm', key, iv)
  cipher.setAAD(aad)
  return Buffer.concat([cipher.update(data), cipher.final(), cipher.getAuthTag()])
}

/**
 * sio-go's stream encryption with AES-GCM (a 16- or 32-byte key, an 8-byte nonce): every
 * fragment but the last is full; the last holds the rest (a full one when the length is a multiple
 * of the fragment size, an empty one for empty data).
 */
export function sioSeal(
  key: Buffer,
  nonce: Buffer,
  plaintext: Buffer,
  associatedData: Buffer = Buffer.alloc(0),
  fragmentSize = FRAGMENT,
): Buffer {
  const first = sealFragment(key, nonce, 0, Buffer.alloc(0), associatedData)
  const aad = Buffer.concat([Buffer.from([0x00]), first])
  const fragments = Math.max(1, Math.ceil(plaintext.length / fragmentSize))
  const out: Buffer[] = []
  for (let i = 0; i < fragments; i++) {
    if (i === fragments - 1) aad[0] = 0x80
    const part = plaintext.subarray(i * fragmentSize, (i + 1) * fragmentSize)
    out.push(sealFragment(key, nonce, i + 1, part, aad))
  }
  return Buffer.concat(out)
}

/** The body MinIO's admin API wants for `plaintext`, sealed with `secret` (the secret key). */
export function encryptAdminBody(secret: string, plaintext: string): Buffer {
  const salt = randomBytes(32)
  const nonce = randomBytes(8)
  const key = pbkdf2Sync(secret, salt, PBKDF2_ROUNDS, 32, 'sha256')
  const sealed = sioSeal(key, nonce, Buffer.from(plaintext))
  return Buffer.concat([salt, Buffer.from([PBKDF2_AES_GCM]), nonce, sealed])
}
