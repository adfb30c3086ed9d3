import { z } from 'zod'
import { boundedDuration } from '../switchovers/durations.ts'
import { SwitchoverCheck } from '../switchovers/switchover-checks.ts'
import { RoleChangeRequest, SwitchoverPlan } from '../switchovers/switchovers.schemas.ts'

export const CreateDrillBody = RoleChangeRequest.extend({
  hold: boundedDuration(1_000, 60 * 60_000, '5m').describe(
    'How long `to` serves as primary before the switch back (1s to 1h); its agent checks it accepts writes meanwhile',
  ),
  check_interval: boundedDuration(1_000, 5 * 60_000, '10s')
    .default('10s')
    .describe('How often the hold checks the new primary accepts a write (1s to 5m; default 10s)'),
})
  .strict()
  .meta({ id: 'CreateDrillRequest', example: { to: 'dc2', hold: '5m' } })
export type CreateDrillBody = z.infer<typeof CreateDrillBody>

export const DrillPlan = SwitchoverPlan.extend({
  ok: z.boolean().describe('No check failed: createDrill with the same body would start'),
  hold: z.string().describe('How long `to` would serve as primary before the switch back'),
  check_interval: z.string().describe('How often the hold would check that `to` accepts a write'),
  followers: SwitchoverPlan.shape.followers.describe(
    'Who would follow `to` during the hold, re-pointed without a wipe: `from` first, then the other DR secondaries (the way back re-points them to `from`)',
  ),
  steps: z.array(z.string()).describe('The steps createDrill would run, in order (out.* there, back.* back)'),
}).meta({ id: 'DrillPlan' })
export type DrillPlan = z.infer<typeof DrillPlan>

export const DrillSubject = z.object({
  from: z.string(),
  to: z.string(),
  hold: z.string(),
  check_interval: z.string(),
  pre_hook_url: z.string().nullable(),
  post_hook_url: z.string().nullable(),
  catch_up_timeout: z.string(),
})
export type DrillSubject = z.infer<typeof DrillSubject>

export const HoldProgress = z.object({
  started_at: z.iso.datetime(),
  until: z.iso.datetime(),
  checks: z.number().int(),
  refused: z
    .number()
    .int()
    .describe(
      'Write checks its agent answered not writable during the hold (Vault refused, or the agent could not reach it)',
    ),
  unanswered: z
    .number()
    .int()
    .optional()
    .describe("Write checks the new primary's agent did not answer (a timeout, a network error, an error answer)"),
  ended_at: z.iso.datetime().nullable(),
  cut_short: z.boolean().describe('A cancellation ended the hold early: the drill switched back at once'),
})
export type HoldProgress = z.infer<typeof HoldProgress>

export const DrillLegReport = z.object({
  from: z.string(),
  to: z.string(),
  rto_ms: z
    .number()
    .nullable()
    .describe('Write-unavailable window: from the demote to the new primary accepting writes'),
  rpo_wals: z.number().nullable().describe('WALs lost: those the demoted primary wrote and the other never received'),
  demote_sent_at: z.iso.datetime().nullable(),
  writes_accepted_at: z.iso.datetime().nullable(),
  finished_at: z.iso.datetime().nullable(),
  undone: z
    .boolean()
    .optional()
    .describe(
      'The leg failed between its demote and its promote and was undone: `from` was promoted back (rto_ms until it took writes again; rpo_wals 0 once it did)',
    ),
})

export const DrillReport = z
  .object({
    legs: z.array(DrillLegReport).describe('The switchover there, then the switchover back'),
    hold: HoldProgress.nullable(),
    warnings: z.array(z.string()),
    checks_warned: z.array(SwitchoverCheck).describe('The checks before the drill that warned'),
    started_at: z.iso.datetime().nullable(),
    ended_at: z.iso.datetime().nullable(),
    verdict: z
      .enum(['passed', 'failed', 'unfinished'])
      .describe(
        'What the drill measured, once both legs are done: passed (no WAL lost, every write check of the hold ' +
          'accepted) or failed, with findings; unfinished until the back leg has finished, or failed if the drill ' +
          'failed between its first demote and then (DR did not work as drilled). The operation state says ' +
          'separately whether the drill ended cleanly (a later step such as the new DR operation token may fail)',
      ),
    findings: z.array(z.string()).describe('Why the verdict is failed: one line per thing the drill found wrong'),
  })
  .meta({ id: 'DrillReport' })
export type DrillReport = z.infer<typeof DrillReport>
