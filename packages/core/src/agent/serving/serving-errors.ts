import { defineError } from '../../errors.ts'

export const ServingErrors = {
  confirmStale: defineError({
    code: 'AGENT_ERR_SERVING_CONFIRM_STALE',
    status: 409,
    title: 'The confirmation was made too long ago (or the clocks differ)',
    fix: 'Confirm again from a fresh read of the store (the gateway does so at each pairs upkeep round). If this repeats, the gateway and agent clocks differ by more than 10 s: synchronise them (NTP).',
  }),
  episodeChanged: defineError({
    code: 'AGENT_ERR_SERVING_EPISODE_CHANGED',
    status: 409,
    title: 'The agent started, or saw its Vault unanswered, sealed or slow, since the caller read getServing',
    fix: 'Nothing was confirmed: a failover may have happened meanwhile. Read getServing (its episode), then the store, and confirm again with that episode (the gateway does so at its next pairs upkeep round).',
  }),
} as const
