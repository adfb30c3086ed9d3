import { z } from 'zod'
import { TokenTtl } from '../secondary-tokens/index.ts'

/** The name of the policy and of the token role vault-dr writes on the primary (fact sheet 2.6). */
export const DR_OPERATION_NAME = 'vault-dr-dr-operation'

export const CreateDrOperationTokenBody = z
  .object({
    ttl: TokenTtl.optional().describe(
      "The batch token's TTL; default VAULT_DR_OPERATION_TOKEN_TTL of this agent (8h). It cannot be renewed.",
    ),
  })
  .strict()
  .meta({ id: 'CreateDrOperationTokenRequest', examples: [{}, { ttl: '8h' }] })

export const DrOperationToken = z
  .object({
    token: z.string().describe('The batch DR operation token; answered once, never logged or kept by the agent'),
    policy: z.string().describe('The policy it carries'),
    role: z.string().describe('The token role it was issued by'),
    ttl_seconds: z.number().int(),
    issued_at: z.iso.datetime(),
    expires_at: z.iso.datetime(),
    primary_cluster_id: z
      .string()
      .nullable()
      .describe('The replication set id of the primary that issued it: equal on its DR secondaries, where it works'),
    changed: z
      .object({ policy: z.boolean(), role: z.boolean() })
      .describe('Whether the policy or the token role had to be written (false: already as needed)'),
  })
  .meta({
    id: 'DrOperationToken',
    examples: [
      {
        token: 'hvb.<batch token>',
        policy: DR_OPERATION_NAME,
        role: DR_OPERATION_NAME,
        ttl_seconds: 28_800,
        issued_at: '2026-12-04T08:00:00.000Z',
        expires_at: '2026-12-04T16:00:00.000Z',
        primary_cluster_id: '5d9a8c1e-0b8f-4a9f-8a51-1c0d5e0c4d7a',
        changed: { policy: false, role: false },
      },
    ],
  })
