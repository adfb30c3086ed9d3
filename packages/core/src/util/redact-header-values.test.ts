import { describe, expect, it } from 'vitest'
import { redactHeaderValues } from './redact-header-values.ts'

describe('redactHeaderValues', () => {
  it('removes the value undici quotes when a header cannot carry it, whatever the header', async () => {
    const thrown = await (async () => new Headers().set('x-vault-token', 'hvs.secret-one\nsecond'))().catch(
      (err: Error) => err.message,
    )
    expect(thrown).toContain('hvs.secret-one')
    expect(redactHeaderValues(String(thrown))).not.toContain('secret-one')
    const bearer = await (async () => new Headers().set('authorization', 'Bearer s3cr3t\0x'))().catch(
      (err: Error) => err.message,
    )
    expect(redactHeaderValues(String(bearer))).not.toContain('s3cr3t')
    const quoted = await (async () => new Headers().set('x-vault-token', 'ab"secret-after-quote\n'))().catch(
      (err: Error) => err.message,
    )
    expect(redactHeaderValues(String(quoted))).not.toContain('ab')
    expect(redactHeaderValues(String(quoted))).not.toContain('secret-after-quote')
  })

  it('removes a bearer token quoted anywhere, and leaves other text as it is', () => {
    expect(redactHeaderValues('sent Bearer abc.def to x')).toBe('sent Bearer <redacted> to x')
    expect(redactHeaderValues('connect ECONNREFUSED 127.0.0.1:8410')).toBe('connect ECONNREFUSED 127.0.0.1:8410')
  })
})
