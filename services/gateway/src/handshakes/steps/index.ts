import type { StepSpec } from '../../operations/operation-kind.ts'
import type { StepContext } from '../handshake-context.ts'
import type { StepName } from '../handshakes.schemas.ts'
import { activateSecondaryStep } from './activate-secondary.step.ts'
import { enablePrimaryStep } from './enable-primary.step.ts'
import { inspectTokenStep } from './inspect-token.step.ts'
import { mintTokenStep } from './mint-token.step.ts'
import { preflightStep } from './preflight.step.ts'
import { verifyStep } from './verify.step.ts'

/**
 * The handshake's steps, in order, with their policies. preflight and verify change nothing anywhere: a stopping
 * gateway interrupts them mid-way (they are re-run on resume); a cancellation interrupts preflight mid-way, the others
 * at their boundary. activate_secondary starts only if no cancellation is on record (the engine's point of no return):
 * from then on the secondary may be wiped, so a cancellation no longer stops the handshake, and verify runs to its end.
 */
export const STEPS: Record<StepName, StepSpec<StepContext>> = {
  preflight: { name: 'preflight', run: preflightStep, interruptible: true, cancellable: true },
  enable_primary: { name: 'enable_primary', run: enablePrimaryStep },
  mint_token: { name: 'mint_token', run: mintTokenStep },
  inspect_token: { name: 'inspect_token', run: inspectTokenStep },
  activate_secondary: { name: 'activate_secondary', run: activateSecondaryStep, pastPointOfNoReturn: true },
  verify: { name: 'verify', run: verifyStep, interruptible: true, pastPointOfNoReturn: true },
}
