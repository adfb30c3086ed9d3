import type { StepName } from '../handshakes.schemas.ts'
import type { StepTable } from '../step-context.ts'
import { preflightStep } from './preflight.step.ts'
import { enablePrimaryStep, mintTokenStep } from './primary-steps.ts'
import { activateSecondaryStep, inspectTokenStep } from './secondary-steps.ts'
import { verifyStep } from './verify.step.ts'

export const STEPS: StepTable = {
  preflight: preflightStep,
  enable_primary: enablePrimaryStep,
  mint_token: mintTokenStep,
  inspect_token: inspectTokenStep,
  activate_secondary: activateSecondaryStep,
  verify: verifyStep,
}

/** Steps that change nothing anywhere: a stopping gateway interrupts them mid-way (they are re-run on resume). */
export const INTERRUPTIBLE = new Set<StepName>(['preflight', 'verify'])

/** Steps a cancellation interrupts mid-way; the others are cancelled at their boundary. */
export const CANCELLABLE = new Set<StepName>(['preflight'])

/**
 * Steps once the activation may have been sent: the secondary may be wiped already, so a cancellation no longer
 * stops the handshake. activate_secondary honours one only before it sends the token; verify runs to its end.
 */
export const PAST_ACTIVATION = new Set<StepName>(['activate_secondary', 'verify'])
