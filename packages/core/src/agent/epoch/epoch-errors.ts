import { defineError } from '../../errors.ts'

/** Errors of the fencing epoch every agent keeps (issue 19: a stale caller must not act after a role change). */
export const EpochErrors = {
  stale: defineError({
    code: 'AGENT_ERR_STALE_EPOCH',
    status: 409,
    title: 'The call carries a fencing epoch lower than one this agent has already seen',
    fix: 'A newer role change (a switchover or failover) has happened since the caller read its epoch: re-read the epoch from the gateway store (it only rises) and decide again; never retry this call with the old epoch. The agent status (epoch) shows the highest it has seen.',
  }),
  unwritable: defineError({
    code: 'AGENT_ERR_EPOCH_UNWRITABLE',
    status: 500,
    title: 'The agent could not record the fencing epoch on disk',
    fix: 'The call was not acted on. Check that VAULT_DR_AGENT_STATE_DIR exists (or can be created), is writable by the agent user and has free space, then repeat the call.',
  }),
} as const
