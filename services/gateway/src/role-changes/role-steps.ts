import type { StepSpec } from '../operations/operation-kind.ts'
import type { StepResult } from '../operations/step.ts'
import { demotePrimary } from './demote-primary.step.ts'
import { followNewPrimary } from './follow-new-primary.step.ts'
import { newDrOperationToken } from './new-dr-token.step.ts'
import { promoteSecondary } from './promote-secondary.step.ts'
import type { RoleChangeContext } from './role-change-context.ts'
import type { ParsedStep, RoleStep } from './role-step-names.ts'
import { verifyNewPrimary } from './verify-new-primary.step.ts'
import { verifyPairs } from './verify-pairs.step.ts'
import { waitCatchUp } from './wait-catch-up.step.ts'

type Run = (ctx: RoleChangeContext, leg: number, cluster: string | undefined) => Promise<StepResult>

/**
 * Each role step with its policy. From the demote on, a cancellation no longer stops the operation: it runs to a
 * safe end (one primary, the others following it). Steps that only read may be interrupted by a stopping gateway.
 */
const TABLE: Record<RoleStep, { run: Run; interruptible?: boolean }> = {
  demote_primary: { run: (ctx, leg) => demotePrimary(ctx, leg) },
  wait_catch_up: { run: (ctx, leg) => waitCatchUp(ctx, leg), interruptible: true },
  promote_secondary: { run: (ctx, leg) => promoteSecondary(ctx, leg) },
  verify_new_primary: { run: (ctx, leg) => verifyNewPrimary(ctx, leg), interruptible: true },
  rejoin_old_primary: { run: (ctx, leg) => followNewPrimary(ctx, leg, ctx.leg(leg).from) },
  update_primary: { run: (ctx, leg, cluster) => followNewPrimary(ctx, leg, cluster ?? '') },
  verify_pairs: { run: (ctx, leg) => verifyPairs(ctx, leg), interruptible: true },
  new_dr_operation_token: { run: (ctx, leg) => newDrOperationToken(ctx, leg) },
}

/** The spec of a planned role step of leg `leg`, over any context that can give a RoleChangeContext. */
export function roleStepSpec<Ctx>(
  name: string,
  parsed: ParsedStep,
  leg: number,
  roleContext: (ctx: Ctx) => RoleChangeContext,
): StepSpec<Ctx> {
  const entry = TABLE[parsed.step]
  return {
    name,
    run: (ctx) => entry.run(roleContext(ctx), leg, parsed.cluster),
    interruptible: entry.interruptible === true,
    cancellable: false,
    pastPointOfNoReturn: true,
    // Every role step reads the clusters first and carries on from what it finds (resumable after a crash).
    rerunWhenUnanswered: true,
  }
}
