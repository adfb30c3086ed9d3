import { z } from 'zod'
import { ClusterName } from '../clusters/clusters.schemas.ts'
import { DrTokenView, Pair } from '../pairs/pairs.schemas.ts'
import { VANTAGE_POINTS } from './vantage-points.ts'

const DURATION = /^(\d{1,6})(ms|s|m|h)$/
const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const

/** Milliseconds of a duration such as '30s', '2m' or '500ms'. */
export function durationMs(value: string): number {
  const [, n, unit] = DURATION.exec(value) ?? []
  return Number(n) * UNIT_MS[(unit ?? 's') as keyof typeof UNIT_MS]
}

export const DownFor = z
  .string()
  .regex(DURATION, 'must be a duration such as "30s", "2m" or "1h"')
  .refine((v) => !DURATION.test(v) || (durationMs(v) >= 1_000 && durationMs(v) <= 86_400_000), {
    message: 'must be between 1s and 24h',
  })
  .meta({ example: '30s' })

export const PlanFailoverBody = z
  .object({
    to: ClusterName.describe('The DR secondary to promote: the pair is named by it'),
    down_for: DownFor.default('30s').describe(
      'How long the primary must have been unreachable from each of two vantage points (or reported sealed or gone by its agent)',
    ),
    allow_data_loss: z
      .boolean()
      .default(false)
      .describe('Fail over even when the estimated loss is unknown or above zero'),
  })
  .strict()
  .meta({ id: 'PlanFailoverBody', example: { to: 'dc2', down_for: '30s', allow_data_loss: false } })
export type PlanFailoverBody = z.infer<typeof PlanFailoverBody>

export const PlanItem = z
  .object({
    name: z.string(),
    status: z.enum(['pass', 'warn', 'fail']),
    code: z.string(),
    detail: z.string(),
    fix: z.string().nullable(),
  })
  .meta({ id: 'FailoverPlanItem' })
export type PlanItem = z.infer<typeof PlanItem>

export const VantageItem = z
  .object({
    point: z.enum(VANTAGE_POINTS),
    reaches: z.boolean().nullable().describe('Whether it reaches the primary now; null when it cannot tell'),
    since: z.iso.datetime().describe('Since when it sees the primary this way (as this gateway observed it)'),
    detail: z.string(),
  })
  .meta({ id: 'FailoverVantagePoint' })

export const LossEstimate = z
  .object({
    wals: z.number().int().nullable().describe('WALs the secondary lacks; null: unknown'),
    primary_last_wal: z.number().nullable().describe("The primary's last WAL when this gateway last read it"),
    secondary_last_remote_wal: z.number().nullable(),
    comparison_age_s: z.number().nullable().describe("How old the primary's side of the comparison is"),
    detail: z.string(),
  })
  .meta({ id: 'FailoverLossEstimate' })

/** What keeps the old primary from taking writes once the new one does, as a failover plan says it. */
export const OldPrimaryFence = z
  .object({
    by: z
      .enum(['gateway', 'self', 'none', 'unknown'])
      .describe(
        "gateway: its agent answers the gateway, which fences it (the agent demotes it at its Vault's first answer); " +
          'self: its agent demotes it on isolation (VAULT_DR_FENCE_ON_ISOLATION), and the failover waits until it ' +
          'has; none: its agent was last seen with self-fencing off; unknown: no gateway ever read its setting',
      ),
    fence_on_isolation_ms: z.number().int().nullable().describe("The agent's setting, as last seen"),
    within_ms: z
      .number()
      .int()
      .nullable()
      .describe(
        'by self: how long after it is cut off from both the gateway and every DR secondary its agent has demoted ' +
          'it, by our reckoning (the setting, two checks of it, Vault noticing its secondaries gone and the grace a ' +
          'restarted agent gives the gateways); the promote ' +
          'waits for it',
      ),
    seen_at: z.iso
      .datetime()
      .nullable()
      .describe(
        "When a gateway last recorded the setting from its agent's status (again every 5 min while it answers)",
      ),
    followers_unknown: z
      .array(z.string())
      .describe(
        'by self: its other DR secondaries whose agents gave no status; one still streaming from it would keep its ' +
          'agent from fencing it (a warning; an automatic failover holds)',
      ),
  })
  .meta({ id: 'FailoverOldPrimaryFence' })
export type OldPrimaryFence = z.infer<typeof OldPrimaryFence>

export const FailoverPlan = z
  .object({
    primary: z.string(),
    secondary: z.string(),
    allowed: z.boolean().describe('Whether createFailover with this body would start now'),
    refusal: z
      .object({ code: z.string(), detail: z.string(), fix: z.string().nullable() })
      .nullable()
      .describe('Why it would be refused, when it would'),
    primary_verdict: z.enum(['down', 'not_down', 'healthy']),
    vantage_points: z.array(VantageItem),
    data_loss: LossEstimate,
    dr_operation_token: z
      .object({
        source: z.enum(['kept', 'ceremony']).nullable(),
        kept: DrTokenView.nullable(),
        ceremony_created_at: z.iso.datetime().nullable(),
      })
      .describe('The DR operation token the failover would use (never the token)'),
    followers: z.array(z.string()).describe("The primary's other DR secondaries: each follows the new primary"),
    old_primary_fence: OldPrimaryFence,
    fencing: z.array(z.string()).describe('What is done so the old primary cannot take writes beside the new one'),
    steps: z.array(z.string()).describe('The steps a failover would run'),
    items: z.array(PlanItem).describe('Every check, pass / warn / fail, with a fix'),
    pair: Pair,
  })
  .meta({ id: 'FailoverPlan' })
export type FailoverPlan = z.infer<typeof FailoverPlan>
