import { PrimaryApiAddr, PrimaryClusterAddr, SecondaryId } from '@vault-dr/core'
import { z } from 'zod'
import { ClusterName, SecondaryClusterName } from '../clusters/clusters.schemas.ts'
import { STEP_STATUSES, StepError } from '../operations/operations.schemas.ts'
import {
  Check,
  CheckName,
  PRIMARY_API_ADDR_DESCRIPTION,
  PRIMARY_CLUSTER_ADDR_DESCRIPTION,
} from '../preflight/preflight.schemas.ts'
import { TokenTtl } from './token-ttl.ts'

export { LastEventIdHeaders, StepError } from '../operations/operations.schemas.ts'

export const STEP_NAMES = [
  'preflight',
  'enable_primary',
  'mint_token',
  'inspect_token',
  'activate_secondary',
  'verify',
] as const
export const StepName = z.enum(STEP_NAMES)
export type StepName = z.infer<typeof StepName>

export const HandshakeState = z
  .enum(['pending', 'running', 'succeeded', 'failed', 'cancelled'])
  .meta({ id: 'HandshakeState' })
export type HandshakeState = z.infer<typeof HandshakeState>
export const Step = z
  .object({
    name: StepName,
    status: z.enum(STEP_STATUSES),
    started_at: z.iso.datetime().nullable(),
    finished_at: z.iso.datetime().nullable(),
    detail: z.string().nullable(),
    error: StepError.nullable(),
  })
  .meta({ id: 'HandshakeStep' })
export type Step = z.infer<typeof Step>

export const CreateHandshakeBody = z
  .object({
    primary: ClusterName.describe('A registered cluster with role primary'),
    secondary: SecondaryClusterName.describe(
      'A registered cluster with role secondary; its data is wiped on activation',
    ),
    secondary_id: SecondaryId.optional().describe("The DR secondary id; default: the secondary cluster's name"),
    token_ttl: TokenTtl.optional().describe('TTL of the activation token; default VAULT_DR_TOKEN_TTL (5m)'),
    inspect: z.boolean().default(true).describe('Look the token up on the primary before handing it over'),
    skip_checks: z.array(CheckName).max(32).default([]).describe('Preflight checks to skip, by exact name'),
    primary_cluster_addr: PrimaryClusterAddr.optional().describe(PRIMARY_CLUSTER_ADDR_DESCRIPTION),
    primary_api_addr: PrimaryApiAddr.optional().describe(PRIMARY_API_ADDR_DESCRIPTION),
    allow_repoint: z
      .boolean()
      .default(false)
      .describe(
        'Kept for compatibility; changes nothing: a DR secondary of another primary cannot be activated again (Vault refuses secondary/enable on it), so preflight still stops, saying how to re-point it by hand',
      ),
  })
  .strict()
  .meta({ id: 'CreateHandshakeRequest', example: { primary: 'dc1', secondary: 'dc2' } })
export type CreateHandshakeBody = z.infer<typeof CreateHandshakeBody>

export const HandshakeOptions = z.object({
  token_ttl: z.string(),
  inspect: z.boolean(),
  skip_checks: z.array(z.string()),
  allow_repoint: z.boolean(),
  primary_cluster_addr: z.string().nullable().describe('The primary_cluster_addr asked for; null: none'),
  primary_api_addr: z.string().nullable().describe('The primary_api_addr asked for; null: none'),
})
export type HandshakeOptions = z.infer<typeof HandshakeOptions>

export const TokenInfo = z
  .object({
    secondary_id: z.string(),
    minted_at: z.iso.datetime(),
    expires_at: z.iso.datetime(),
    mints: z.number().int().describe('Tokens minted so far for this handshake (re-mints after expiry or restart)'),
  })
  .meta({ id: 'HandshakeTokenInfo', description: 'Metadata of the last activation token; never the token' })
export type TokenInfo = z.infer<typeof TokenInfo>

export const Handshake = z
  .object({
    id: z.string(),
    state: HandshakeState,
    primary: z.string(),
    secondary: z.string(),
    secondary_id: z.string(),
    options: HandshakeOptions,
    steps: z.array(Step),
    checks: z.array(Check).describe('Preflight (and post-enable) checks, with their diagnoses'),
    token: TokenInfo.nullable(),
    error: StepError.nullable().describe('Why the handshake failed, when it did'),
    cancel_requested: z.boolean(),
    created_at: z.iso.datetime(),
    updated_at: z.iso.datetime(),
    finished_at: z.iso.datetime().nullable(),
  })
  .meta({ id: 'Handshake' })
export type Handshake = z.infer<typeof Handshake>

export const HandshakeParams = z.object({ id: z.string().min(1).max(64) })

export const ListHandshakesQuery = z
  .object({
    state: HandshakeState.optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
  })
  .strict()

export const HandshakeList = z.object({ handshakes: z.array(Handshake) }).meta({ id: 'HandshakeList' })

export const IdempotencyHeaders = z.object({
  'idempotency-key': z
    .string()
    .regex(/^[\x21-\x7e]{1,128}$/, 'must be 1-128 visible ASCII characters')
    .optional()
    .describe('Same key and body: the same handshake again; same key, other body: 422'),
})
