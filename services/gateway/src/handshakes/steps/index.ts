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

/** Steps that change nothing anywhere: a cancellation may interrupt them mid-way. */
export const INTERRUPTIBLE = new Set(['preflight', 'verify'])
