import { z } from 'zod'
import { ClusterName, SecondaryClusterName } from '../clusters/clusters.schemas.ts'
import { HookUrl, POST_HOOK_DESCRIPTION, PRE_HOOK_DESCRIPTION } from '../hooks/hook-url.ts'
import { Leg } from '../role-changes/leg.ts'
import { boundedDuration } from './durations.ts'
import { SwitchoverCheck } from './switchover-checks.ts'

export const CatchUpTimeout = boundedDuration(1_000, 30 * 60_000, '60s').describe(
  'How long the promoted-to-be secondary may take, after the demote, to hold everything the old primary wrote ' +
    '(1s to 30m; default 60s); past it the old primary is promoted back and the operation fails, nothing lost',
)

/** What both a switchover and a drill are asked. */
export const RoleChangeRequest = z.object({
  to: SecondaryClusterName.describe('The DR secondary to promote'),
  from: ClusterName.optional().describe('The DR primary to demote; default: the primary `to` streams from'),
  pre_hook_url: HookUrl.optional().describe(PRE_HOOK_DESCRIPTION),
  post_hook_url: HookUrl.optional().describe(POST_HOOK_DESCRIPTION),
  catch_up_timeout: CatchUpTimeout.default('60s'),
})

export const CreateSwitchoverBody = RoleChangeRequest.strict().meta({
  id: 'CreateSwitchoverRequest',
  example: { to: 'dc2' },
})
export type CreateSwitchoverBody = z.infer<typeof CreateSwitchoverBody>

/** What a switchover record keeps of the request (record.subject), read back with this schema. */
export const SwitchoverSubject = z.object({
  from: z.string(),
  to: z.string(),
  pre_hook_url: z.string().nullable(),
  post_hook_url: z.string().nullable(),
  catch_up_timeout: z.string(),
})
export type SwitchoverSubject = z.infer<typeof SwitchoverSubject>

/** The progress and result a switchover (and each drill leg) writes in record.data. Never a secret. */
export const RoleChangeData = z.object({
  legs: z.array(Leg),
  undo: Leg.optional().describe('Only after a failure between demote and promote: the old primary promoted back'),
  checks: z.array(SwitchoverCheck),
  warnings: z.array(z.string()),
  write_unavailable_ms: z.number().nullable(),
  wals_lost: z.number().nullable(),
})
export type RoleChangeData = z.infer<typeof RoleChangeData>

export const SwitchoverPlan = z
  .object({
    ok: z.boolean().describe('No check failed: createSwitchover with the same body would start'),
    from: z.string(),
    to: z.string(),
    followers: z
      .array(z.object({ cluster: z.string(), secondary_id: z.string() }))
      .describe('Who follows `to` afterwards, re-pointed without a wipe: `from` first, then the other DR secondaries'),
    steps: z.array(z.string()).describe('The steps createSwitchover would run, in order'),
    checks: z.array(SwitchoverCheck),
    what_happens: z.array(z.string()).describe('The plan in words, step by step'),
  })
  .meta({ id: 'SwitchoverPlan' })
export type SwitchoverPlan = z.infer<typeof SwitchoverPlan>
