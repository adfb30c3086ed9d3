// The one-time-pad encoding of generate-root and generate-operation-token (sdk/helper/roottoken): the token XOR the
// OTP, in standard base64 without padding. Both are ASCII of the same length.

export function encodeWithOtp(token: string, otp: string): string {
  if (token.length !== otp.length) throw new Error('token and OTP differ in length')
  const out = Buffer.alloc(token.length)
  for (let i = 0; i < token.length; i += 1) out[i] = token.charCodeAt(i) ^ otp.charCodeAt(i)
  return out.toString('base64').replace(/=+$/, '')
}

export function decodeWithOtp(encoded: string, otp: string): string {
  const raw = Buffer.from(encoded, 'base64')
  if (raw.length !== otp.length) throw new Error('encoded token and OTP differ in length')
  return String.fromCharCode(...raw.map((byte, i) => byte ^ otp.charCodeAt(i)))
}
