import { z } from 'zod'
import { ActivationTokenClaims } from '../../replication/activation-token.ts'
import { SecondaryId } from '../../replication/secondary-id.ts'
import { printableAscii } from '../../util/printable-ascii.ts'

/** Vault duration: seconds, or a number with s/m/h; between 10 s and 24 h. */
export const TokenTtl = z
  .string()
  .regex(/^\d{1,6}[smh]?$/, 'must be a duration such as "300s", "30m" or "1h"')
  .refine((ttl) => ttlSeconds(ttl) >= 1 && ttlSeconds(ttl) <= 86_400, 'must be between 1s and 24h')
  .meta({ example: '30m' })

export function ttlSeconds(ttl: string): number {
  const value = Number.parseInt(ttl, 10)
  const unit = ttl.at(-1)
  return unit === 'h' ? value * 3600 : unit === 'm' ? value * 60 : value
}

export const CreateSecondaryTokenBody = z
  .object({
    secondary_id: SecondaryId,
    ttl: TokenTtl.default('30m'),
    secondary_public_key: printableAscii(z.string().min(16).max(8192))
      .optional()
      .describe(
        "The secondary's public key (generateDrPublicKey): the token comes back unwrapped, usable only by that secondary, with no unwrap call to this cluster",
      ),
  })
  .strict()
  .meta({ id: 'CreateSecondaryTokenRequest', examples: [{ secondary_id: 'dc2', ttl: '10m' }] })

export const SecondaryToken = z
  .object({
    secondary_id: z.string(),
    token: z.string().describe('The wrapped, single-use activation token; shown once, never stored'),
    expires_at: z.iso.datetime(),
    claims: ActivationTokenClaims.nullable().describe(
      "The token's non-secret claims; null for a token made with a secondary's public key (its format is Vault's own)",
    ),
  })
  .meta({
    id: 'SecondaryToken',
    examples: [
      {
        secondary_id: 'dc2',
        token: 'eyJhbGciOiJFUzUxMiIsInR5cCI6IkpXVCJ9.<claims>.<signature>',
        expires_at: '2026-11-29T10:30:00.000Z',
        claims: {
          addr: 'https://vault.dc1.example:8200',
          iat: 1795941000,
          exp: 1795941600,
          nbf: 1795940995,
          type: 'wrapping',
          accessor: '',
        },
      },
    ],
  })

export const RevokeSecondaryBody = z
  .object({
    secondary_id: SecondaryId,
    force: z
      .boolean()
      .optional()
      .describe('Revoke even when a secondary is connected with the id (it is cut off); refused otherwise'),
  })
  .strict()
  .meta({ id: 'RevokeSecondaryRequest', examples: [{ secondary_id: 'dc2' }] })

export const RevokeSecondaryResult = z
  .object({ secondary_id: z.string(), revoked: z.boolean(), detail: z.string() })
  .meta({
    id: 'RevokeSecondaryResult',
    examples: [
      { secondary_id: 'dc2', revoked: true, detail: 'Revoked: the secondary is disconnected and its token void.' },
    ],
  })
