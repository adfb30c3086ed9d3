import { describe, expect, it } from 'vitest'
import { ActivationToken, redactToken, wrappingTokenId } from './agent-inputs.ts'

const jwt = (claims: Record<string, unknown>) =>
  [{ alg: 'ES512', typ: 'JWT' }, claims].map((p) => Buffer.from(JSON.stringify(p)).toString('base64url')).join('.') +
  '.c2lnbmF0dXJl'

describe('ActivationToken', () => {
  const now = Math.floor(Date.now() / 1000)
  it('accepts a decodable activation JWT', () => {
    expect(ActivationToken.safeParse(jwt({ addr: '', iat: now, exp: now + 60, type: 'wrapping' })).success).toBe(true)
  })
  it.each([
    ['wrong type', jwt({ iat: now, exp: now + 60, type: 'id' })],
    ['no exp', jwt({ iat: now, type: 'wrapping' })],
    ['absurd exp', jwt({ iat: now, exp: 1e14, type: 'wrapping' })],
    ['negative iat', jwt({ iat: -5, exp: now, type: 'wrapping' })],
    ['not base64 JSON', 'aaaaaaaaaaaa.bbbbbbbbbbbbbb.cccccccccccc'],
  ])('refuses %s without echoing it', (_what, token) => {
    const result = ActivationToken.safeParse(token)
    expect(result.success).toBe(false)
    expect(JSON.stringify(result.error?.issues)).not.toContain(token)
  })
})

describe('redactToken', () => {
  it('removes the token and its jti from a text', () => {
    const token = jwt({ iat: 1, exp: 2, type: 'wrapping', jti: 'hvs.0123456789abcdefghijklm' })
    expect(wrappingTokenId(token)).toBe('hvs.0123456789abcdefghijklm')
    expect(redactToken(`a ${token} b hvs.0123456789abcdefghijklm c`, token)).toBe('a [REDACTED] b [REDACTED] c')
    expect(redactToken('nothing here', token)).toBe('nothing here')
  })
})
