import { describe, expect, it } from 'vitest'
import { createWrappingKey, isJwtShaped, readClaimsUnverified, signWrappingJwt, verifyWrappingJwt } from './jwt.ts'

const claims = {
  accessor: '',
  addr: 'https://10.0.0.1:8200',
  exp: 1_800_001_800,
  iat: 1_800_000_000,
  jti: 'hvs.abcdefghijklmnopqrstuvwx',
  nbf: 1_799_999_995,
  type: 'wrapping',
}

describe('wrapping JWTs', () => {
  it("signs ES512 with Vault's header and claim order, verifiable only with the issuer's key", async () => {
    const key = await createWrappingKey()
    const other = await createWrappingKey()
    const token = await signWrappingJwt(key.privateKey, { ...claims, type: 'wrapping' })
    const [header, payload, signature] = token.split('.')
    expect(header).toBe('eyJhbGciOiJFUzUxMiIsInR5cCI6IkpXVCJ9')
    expect(Buffer.from(payload ?? '', 'base64url').toString()).toBe(JSON.stringify(claims))
    expect(signature).toHaveLength(176)
    expect(await verifyWrappingJwt(key.publicKey, token)).toEqual({ ok: true, claims })
    expect(await verifyWrappingJwt(other.publicKey, token)).toMatchObject({ ok: false, reason: 'signature' })
    expect(await verifyWrappingJwt(key.publicKey, 'a.b.c')).toMatchObject({ ok: false, reason: 'parse' })
  })

  it("applies Vault's JWT-shape test and decodes claims without verifying", () => {
    expect(isJwtShaped('eyJ.eyJ.sig')).toBe(true)
    expect(isJwtShaped('hvs.abc')).toBe(false)
    expect(isJwtShaped('s..x')).toBe(false)
    expect(isJwtShaped('a.b.c.d')).toBe(false)
    expect(readClaimsUnverified('not a jwt')).toBeUndefined()
  })
})
