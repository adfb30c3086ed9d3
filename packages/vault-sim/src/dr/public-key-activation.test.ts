import { describe, expect, it } from 'vitest'
import {
  newActivationKeyPair,
  openForSecondary,
  parseSecondaryPublicKey,
  sealForSecondary,
} from './public-key-activation.ts'

describe('public-key activation tokens', () => {
  it('opens only with the key pair it was sealed to', () => {
    const mine = newActivationKeyPair()
    const other = newActivationKeyPair()
    const recipient = parseSecondaryPublicKey(mine.publicKey)
    if (!recipient) throw new Error('own public key did not parse')
    const token = sealForSecondary(recipient, { secondary_id: 'dc1', n: 1 })
    expect(token).not.toContain('.')
    expect(openForSecondary(mine.privateKey, token)).toEqual({ secondary_id: 'dc1', n: 1 })
    expect(openForSecondary(other.privateKey, token)).toBeUndefined()
    expect(openForSecondary(mine.privateKey, `${token.slice(0, -4)}AAAA`)).toBeUndefined()
  })

  it('refuses a public key that is not an X25519 key', () => {
    expect(parseSecondaryPublicKey('not-a-key')).toBeUndefined()
    expect(parseSecondaryPublicKey('')).toBeUndefined()
  })
})
