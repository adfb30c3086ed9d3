import { defineError } from '../../errors.ts'

export const ServingErrors = {
  confirmStale: defineError({
    code: 'AGENT_ERR_SERVING_CONFIRM_STALE',
    status: 409,
    title: 'The confirmation was made too long ago (or the clocks differ)',
    fix: 'Confirm again from a fresh read of the store (the gateway does so at each pairs upkeep round). If this repeats, the gateway and agent clocks differ by more than 10 s: synchronise them (NTP).',
  }),
} as const
