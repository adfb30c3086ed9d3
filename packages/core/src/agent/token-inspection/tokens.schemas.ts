import { z } from 'zod'
import { ActivationTokenClaims } from '../../replication/activation-token.ts'
import { ActivationToken, ApiAddress, CaPem } from '../agent-inputs.ts'

export const InspectTokenRequest = z
  .object({
    token: ActivationToken,
    primary_api_addr: ApiAddress.optional().describe(
      "Where to look the token up instead of its addr claim (the primary's API as reachable from here)",
    ),
    ca_pem: CaPem.optional().describe(
      "CA bundle for the primary's API certificate; default VAULT_DR_PRIMARY_CACERT, then the system roots",
    ),
  })
  .strict()
  .meta({ id: 'InspectTokenRequest' })
export type InspectTokenRequest = z.infer<typeof InspectTokenRequest>

export const LOOKUP_CODES = [
  'OK',
  'TOKEN_USED_OR_EXPIRED',
  'TOKEN_FOREIGN',
  'NO_PRIMARY_ADDR',
  'BAD_PRIMARY_ADDR',
  'PRIMARY_API_REFUSED',
  'PRIMARY_API_TIMEOUT',
  'PRIMARY_API_DNS',
  'PRIMARY_API_RESET',
  'PRIMARY_API_UNREACHABLE',
  'PRIMARY_API_TLS_UNTRUSTED',
  'PRIMARY_API_TLS_FAILED',
  'PRIMARY_SEALED',
  'NOT_VAULT',
  'LOOKUP_FAILED',
] as const
export type LookupCode = (typeof LOOKUP_CODES)[number]

export const TokenLookup = z
  .object({
    valid: z.boolean().describe('The issuing primary still holds this token unused (sys/wrapping/lookup answered 200)'),
    address: z.string().nullable().describe('The API address asked (primary_api_addr, else the addr claim)'),
    creation_path: z.string().nullable().describe('sys/replication/dr/primary/secondary-token for activation tokens'),
    creation_time: z.string().nullable(),
    creation_ttl: z.number().nullable().describe('Seconds'),
    code: z.enum(LOOKUP_CODES).describe('OK, or why the lookup did not confirm the token'),
    detail: z.string(),
    fix: z.string().nullable().describe('What to do about it; null when valid'),
  })
  .meta({ id: 'TokenLookup' })
export type TokenLookup = z.infer<typeof TokenLookup>

export const SIGNATURE_NOTE = 'only the issuing primary can verify the ES512 signature; see lookup'

export const TokenInspection = z
  .object({
    claims: ActivationTokenClaims,
    issued_at: z.iso.datetime(),
    expires_at: z.iso.datetime(),
    not_before: z.iso.datetime().nullable(),
    seconds_left: z.number().int().min(0).describe('Whole seconds until exp by this host clock; 0 once expired'),
    expired: z.boolean().describe('exp has passed by this host clock (the primary enforces the TTL itself)'),
    signature_verified: z.literal(false),
    signature_note: z.literal(SIGNATURE_NOTE),
    lookup: TokenLookup,
  })
  .meta({
    id: 'TokenInspection',
    examples: [
      {
        claims: {
          addr: 'https://10.0.1.10:8200',
          iat: 1774633958,
          exp: 1774635758,
          nbf: 1774633953,
          type: 'wrapping',
          accessor: '',
        },
        issued_at: '2026-03-27T17:52:38.000Z',
        expires_at: '2026-03-27T18:22:38.000Z',
        not_before: '2026-03-27T17:52:33.000Z',
        seconds_left: 1712,
        expired: false,
        signature_verified: false,
        signature_note: SIGNATURE_NOTE,
        lookup: {
          valid: true,
          address: 'https://10.0.1.10:8200',
          creation_path: 'sys/replication/dr/primary/secondary-token',
          creation_time: '2026-03-27T17:52:38.0228Z',
          creation_ttl: 1800,
          code: 'OK',
          detail: 'the issuing primary holds this token, unused',
          fix: null,
        },
      },
    ],
  })
export type TokenInspection = z.infer<typeof TokenInspection>
