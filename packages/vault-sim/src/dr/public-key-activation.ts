import {
  createCipheriv,
  createDecipheriv,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  type KeyObject,
  randomBytes,
} from 'node:crypto'

// The public-key route of activation (fact sheet 2.7): the secondary makes a key pair, the primary seals the
// activation credentials to its public key and answers them in data.token, and the secondary opens them itself, so no
// unwrap call goes to the primary. Vault's token format is not public: this one is X25519 + HKDF-SHA256 +
// AES-256-GCM, as base64url(ephemeral public key DER ‖ iv ‖ tag ‖ ciphertext).

const spkiLength = 44
const ivLength = 12
const tagLength = 16
const info = Buffer.from('vault-sim secondary activation')

export interface ActivationKeyPair {
  privateKey: KeyObject
  /** base64 of the DER SubjectPublicKeyInfo: the `secondary_public_key` value. */
  publicKey: string
}

export function newActivationKeyPair(): ActivationKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('x25519')
  return { privateKey, publicKey: publicKey.export({ format: 'der', type: 'spki' }).toString('base64') }
}

/** Parses a `secondary_public_key`; undefined when it is not an X25519 public key. */
export function parseSecondaryPublicKey(text: string): KeyObject | undefined {
  try {
    const key = createPublicKey({ key: Buffer.from(text, 'base64'), format: 'der', type: 'spki' })
    return key.asymmetricKeyType === 'x25519' ? key : undefined
  } catch {
    return undefined
  }
}

export function sealForSecondary(recipient: KeyObject, payload: unknown): string {
  const ephemeral = generateKeyPairSync('x25519')
  const epk = ephemeral.publicKey.export({ format: 'der', type: 'spki' })
  const key = deriveKey(diffieHellman({ privateKey: ephemeral.privateKey, publicKey: recipient }), epk)
  const iv = randomBytes(ivLength)
  const cipher = createCipheriv('aes-256-gcm', key, iv)
  const ciphertext = Buffer.concat([cipher.update(JSON.stringify(payload)), cipher.final()])
  return Buffer.concat([epk, iv, cipher.getAuthTag(), ciphertext]).toString('base64url')
}

/** The sealed payload, or undefined when `token` was not sealed to this key pair. */
export function openForSecondary(privateKey: KeyObject, token: string): unknown {
  const raw = Buffer.from(token, 'base64url')
  if (raw.length <= spkiLength + ivLength + tagLength) return undefined
  try {
    const epk = raw.subarray(0, spkiLength)
    const iv = raw.subarray(spkiLength, spkiLength + ivLength)
    const tag = raw.subarray(spkiLength + ivLength, spkiLength + ivLength + tagLength)
    const publicKey = createPublicKey({ key: epk, format: 'der', type: 'spki' })
    const key = deriveKey(diffieHellman({ privateKey, publicKey }), epk)
    const decipher = createDecipheriv('aes-256-gcm', key, iv)
    decipher.setAuthTag(tag)
    const plain = Buffer.concat([decipher.update(raw.subarray(spkiLength + ivLength + tagLength)), decipher.final()])
    return JSON.parse(plain.toString('utf8'))
  } catch {
    return undefined
  }
}

function deriveKey(shared: Buffer, salt: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', shared, salt, info, 32))
}
