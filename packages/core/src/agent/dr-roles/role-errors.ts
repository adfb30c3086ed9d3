import { defineError } from '../../errors.ts'

/** Errors of the role changes both agents serve (a cluster's role swaps in a failover, so either may be asked). */
export const RoleErrors = {
  notDrPrimary: defineError({
    code: 'AGENT_ERR_NOT_DR_PRIMARY',
    status: 409,
    title: 'The cluster is not a DR primary',
    fix: 'Only a DR primary can be demoted: check this agent points at the intended cluster (getPrimaryStatus / getSecondaryStatus).',
  }),
  notDrSecondary: defineError({
    code: 'AGENT_ERR_NOT_DR_SECONDARY',
    status: 409,
    title: 'The cluster is not a DR secondary',
    fix: 'Only a DR secondary can be promoted, re-pointed or asked for a public key: check this agent points at the intended cluster.',
  }),
  catchingUp: defineError({
    code: 'AGENT_ERR_CATCHING_UP',
    status: 503,
    title: 'The DR secondary is still catching up with its primary',
    fix: 'Wait until it streams WALs (getSecondaryStatus: state stream-wals) and promote again; force: true promotes now and loses what it has not received yet.',
  }),
  drOperationTokenRejected: defineError({
    code: 'AGENT_ERR_DR_OPERATION_TOKEN_REJECTED',
    status: 403,
    title: 'Vault refused the DR operation token',
    fix: 'The DR operation token is expired, unknown to this cluster (made on another replication set), or lacks a policy allowing this path: make a new one on the current primary (vault-dr dr-token rotate <secondary>); a key-share ceremony token serves only a failover (vault-dr dr-token ceremony <secondary>).',
  }),
  operationInFlight: defineError({
    code: 'AGENT_ERR_OPERATION_IN_FLIGHT',
    status: 409,
    title: 'This agent has an operation on the cluster still in flight',
    fix: 'Demoting now would cut it off half done: wait until the mint, revocation or activation named in the detail has answered (its caller sees it end), then demote again.',
  }),
  settleTimeout: defineError({
    code: 'AGENT_ERR_ROLE_CHANGE_TIMEOUT',
    status: 504,
    title: 'The cluster did not settle in its new role in time',
    fix: 'Vault accepted the change: check sys/replication/dr/status and the Vault server log, and raise VAULT_DR_WAIT_TIMEOUT_MS if it is slow. Do not repeat the change before the status shows where the cluster stands.',
  }),
} as const
