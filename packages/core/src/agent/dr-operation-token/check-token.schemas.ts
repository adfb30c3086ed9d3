import { z } from 'zod'
import { printableAscii } from '../../util/printable-ascii.ts'

export const CheckDrOperationTokenBody = z
  .object({
    token: printableAscii(z.string().min(1).max(4096)).describe(
      'The DR operation token to check; never echoed, logged or kept',
    ),
  })
  .strict()
  .meta({ id: 'CheckDrOperationTokenRequest', examples: [{ token: 'hvb.<batch token>' }] })

export const DrSiteRaft = z
  .object({
    healthy: z
      .boolean()
      .describe("autopilot's verdict on the DR site's raft cluster: false when a promote may lack a quorum"),
    failure_tolerance: z
      .number()
      .int()
      .nonnegative()
      .nullable()
      .describe('Voters the DR site can lose and keep a quorum'),
  })
  .meta({ id: 'DrSiteRaft' })
export type DrSiteRaft = z.infer<typeof DrSiteRaft>

export const DrOperationTokenCheck = z
  .object({
    valid: z.boolean().describe('true only when this cluster accepted the token'),
    outcome: z
      .enum(['valid', 'invalid', 'inconclusive'])
      .describe('inconclusive: this Vault does not serve the validation call, so the token could not be judged'),
    code: z.string().describe('DR_TOKEN_VALID, DR_TOKEN_REJECTED or DR_TOKEN_CHECK_UNSUPPORTED'),
    detail: z.string(),
    fix: z.string().nullable(),
    checked_at: z.iso.datetime(),
    raft: DrSiteRaft.nullable().describe(
      "The DR site's raft cluster as the same call (autopilot state) reported it; null when the token was not accepted",
    ),
  })
  .meta({
    id: 'DrOperationTokenCheck',
    examples: [
      {
        valid: true,
        outcome: 'valid',
        code: 'DR_TOKEN_VALID',
        detail: 'The DR secondary accepted the token for sys/storage/raft/autopilot/state.',
        fix: null,
        checked_at: '2026-12-04T08:00:00.000Z',
        raft: { healthy: true, failure_tolerance: 1 },
      },
    ],
  })
export type DrOperationTokenCheck = z.infer<typeof DrOperationTokenCheck>
