import { defineError } from '../../errors.ts'

/** Errors of the fencing epoch every agent keeps (issue 19: a stale caller must not act after a role change). */
export const EpochErrors = {
  stale: defineError({
    code: 'AGENT_ERR_STALE_EPOCH',
    status: 409,
    title: 'The call carries a fencing epoch lower than one this agent has already seen',
    fix:
      'Nothing was done. One of two things happened. (1) A role change (a switchover or failover, perhaps by another ' +
      'gateway) raised the epoch after the caller took its own: the caller is stale; it must re-read the epoch from ' +
      'the gateway store and decide again, never repeat this call with the old epoch. (2) The gateway store was ' +
      "replaced or restored from a backup, so its counter is below what this agent has seen (epoch in the agent's " +
      "status): on such a refusal the gateway raises its counter above the agent's by itself and makes the call again, " +
      "so an operation that still failed can be run again. Never lower or delete this agent's epoch file " +
      '(VAULT_DR_AGENT_STATE_DIR/epoch) while a gateway of the old store may still be running: it is what fences it out.',
  }),
  unwritable: defineError({
    code: 'AGENT_ERR_EPOCH_UNWRITABLE',
    status: 500,
    title: 'The agent could not record the fencing epoch on disk',
    fix: 'The call was not acted on. Check that VAULT_DR_AGENT_STATE_DIR exists (or can be created), is writable by the agent user and has free space, then repeat the call.',
  }),
} as const
