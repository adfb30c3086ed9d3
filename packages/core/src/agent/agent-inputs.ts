import { z } from 'zod'
import { ActivationTokenString, decodeActivationToken } from '../replication/activation-token.ts'
import { DEFAULT_API_PORT, DEFAULT_CLUSTER_PORT, vaultAddress } from '../replication/vault-address.ts'

export const ApiAddress = vaultAddress(DEFAULT_API_PORT, "The primary's API address")
export const ClusterAddress = vaultAddress(DEFAULT_CLUSTER_PORT, "A primary node's cluster address")

/** PEM text of one or more CA certificates; bounded so a body cannot smuggle megabytes into a TLS context. */
export const CaPem = z
  .string()
  .max(32 * 1024)
  .regex(/-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----/, 'must be PEM certificates')
  .describe('PEM CA bundle (up to 32 KiB) that signed the primary API certificate')

/** Year 9999: claims beyond it cannot be dates. */
const MAX_EPOCH_S = 253_402_300_799

/**
 * An activation token that decodes: three base64url parts whose payload carries iat/exp and type "wrapping".
 * Messages name what is wrong without echoing the token.
 */
export const ActivationToken = ActivationTokenString.superRefine((token, ctx) => {
  // The length and shape checks above already reported this one.
  if (!ActivationTokenString.safeParse(token).success) return
  const decoded = decodeActivationToken(token)
  if (!decoded.ok) {
    ctx.addIssue({ code: 'custom', message: `not an activation token: ${decoded.reason}` })
    return
  }
  const { iat, exp, nbf } = decoded.claims
  if (![iat, exp, nbf ?? 0].every((t) => t >= 0 && t <= MAX_EPOCH_S)) {
    ctx.addIssue({ code: 'custom', message: 'not an activation token: iat/exp/nbf are not plausible times' })
  }
}).describe('The DR activation token (the JWT in wrap_info.token of secondary-token). Never echoed or logged.')

/** The `jti` claim (the wrapping token id), read only so texts can be scrubbed of it; never returned. */
export function wrappingTokenId(token: string): string | undefined {
  try {
    const payload: unknown = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'))
    const jti = (payload as { jti?: unknown } | null)?.jti
    return typeof jti === 'string' && jti.length >= 8 ? jti : undefined
  } catch {
    return undefined
  }
}

/** Replaces every occurrence of the token (and its jti) in a text from elsewhere, e.g. a Vault error message. */
export function redactToken(text: string, token: string): string {
  let out = text
  for (const secret of [token, wrappingTokenId(token)]) {
    if (secret !== undefined && secret.length > 0) out = out.replaceAll(secret, '[REDACTED]')
  }
  return out
}
