import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto'

const VERSION = 1
const SALT = 'vault-dr/gateway/store'
const INFO = 'agent-token-encryption/v1'
const IV_BYTES = 12
const TAG_BYTES = 16

/**
 * Seals secrets for the store with AES-256-GCM. The key is derived with HKDF-SHA256 from the gateway's store secret
 * (VAULT_DR_STORE_KEY, else VAULT_DR_API_TOKEN); the additional data binds each sealed value to its owner (the
 * cluster name), so a sealed token moved to another row does not open.
 * Layout: version (1 byte) | IV (12) | tag (16) | ciphertext.
 */
export class SecretBox {
  readonly #key: Buffer

  constructor(secret: string) {
    this.#key = Buffer.from(hkdfSync('sha256', secret, SALT, INFO, 32))
  }

  seal(plaintext: string, owner: string): Uint8Array {
    const iv = randomBytes(IV_BYTES)
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv)
    cipher.setAAD(Buffer.from(owner, 'utf8'))
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
    return new Uint8Array(Buffer.concat([Buffer.of(VERSION), iv, cipher.getAuthTag(), body]))
  }

  /** The plaintext, or undefined when the key or the owner does not match. */
  open(sealed: Uint8Array, owner: string): string | undefined {
    const buf = Buffer.from(sealed)
    if (buf.length < 1 + IV_BYTES + TAG_BYTES || buf[0] !== VERSION) return undefined
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, buf.subarray(1, 1 + IV_BYTES))
      decipher.setAAD(Buffer.from(owner, 'utf8'))
      decipher.setAuthTag(buf.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES))
      return Buffer.concat([decipher.update(buf.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8')
    } catch {
      return undefined
    }
  }

  /** A value that tells whether the store was written with this key, without revealing it. */
  keyCheck(): string {
    return createHmac('sha256', this.#key).update('vault-dr/gateway/store-key-check').digest('base64url').slice(0, 22)
  }
}
