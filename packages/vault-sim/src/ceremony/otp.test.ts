import { describe, expect, it } from 'vitest'
import { decodeWithOtp, encodeWithOtp } from './otp.ts'

describe('OTP encoding of operation tokens', () => {
  it("decodes the published vector (P8, Vault Enterprise ~1.2's CLI output)", () => {
    expect(decodeWithOtp('AnQ+CEkZCyEcUit5fnoiEBI8I1MYFSlXBE4', 'qZkG8AAgu4l5KOdypXG1TQS8lz')).toBe(
      's.UOqXJFifGL55FibddbLDzoh4',
    )
  })

  it('round-trips and refuses a pad of another length', () => {
    const token = 'hvs.ABCDEFGHIJKLMNOPQRSTUVWX'
    const otp = 'abcdefghijklmnopqrstuvwxyz01'
    expect(decodeWithOtp(encodeWithOtp(token, otp), otp)).toBe(token)
    expect(encodeWithOtp(token, otp)).not.toMatch(/=$/)
    expect(() => decodeWithOtp(encodeWithOtp(token, otp), 'short')).toThrow()
  })
})
