import { defineError } from '../../errors.ts'

/** Errors of fencing an old primary (issue 19): the cluster was failed away from, and must not take writes. */
export const FenceErrors = {
  fenced: defineError({
    code: 'AGENT_ERR_FENCED',
    status: 409,
    title: 'The cluster is fenced: it was failed away from and its demote has not completed',
    fix: 'Nothing but a demote is served until the cluster is a DR secondary: the agent retries the demote by itself (its status shows fenced, demoted_at null until then). Make its Vault reachable and unsealed so the demote can go through, then rejoin it as a DR secondary of the new primary (vault-dr rejoin <cluster>). A cluster that fenced itself (fenced.by isolation) with no failover yet is replaced by one (vault-dr failover --to <secondary>), then rejoined. Never remove the fence file by hand: a gateway may already have promoted another cluster, counting on this fence.',
  }),
  notDemoted: defineError({
    code: 'AGENT_ERR_FENCE_NOT_DEMOTED',
    status: 409,
    title: 'The fence cannot be cleared while the cluster may still be a DR primary',
    fix: 'Clearing now would let it take writes beside the new primary: wait until its status shows fenced.demoted_at (the agent retries the demote by itself), rejoin it as a DR secondary, then clear the fence.',
  }),
  unwritable: defineError({
    code: 'AGENT_ERR_FENCE_UNWRITABLE',
    status: 500,
    title: 'The agent could not record the fence on disk',
    fix: 'The call was not acted on. Check that VAULT_DR_AGENT_STATE_DIR exists (or can be created), is writable by the agent user and has free space, then repeat the call.',
  }),
} as const
