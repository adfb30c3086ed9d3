import { defineError } from '@vault-dr/core'

/** The codes a failover or a rejoin answers or ends with (requests: 4xx; steps: StepError codes). */
export const FailoverErrors = {
  refused: defineError({
    code: 'GATEWAY_ERR_FAILOVER_REFUSED',
    status: 409,
    title: 'The failover was refused before anything changed',
    fix: 'Read the refusal (POST /v1/failovers/plan gives the whole plan): a healthy primary calls for a switchover; a primary not down long enough, or from too few places, for waiting; a loss for allow_data_loss, knowingly.',
  }),
  noDrToken: defineError({
    code: 'GATEWAY_ERR_FAILOVER_NO_DR_TOKEN',
    status: 409,
    title: 'No DR operation token can promote the secondary',
    fix: 'Make one with the key-share ceremony on the secondary (vault-dr dr-token ceremony <secondary>), then fail over again: it is used when no kept batch token is valid.',
  }),
  fenceUnreadable: defineError({
    code: 'GATEWAY_ERR_FENCE_UNREADABLE',
    status: 409,
    title:
      'The fence entry of this cluster reads neither as a fence nor as an ended one: it may be fenced, so nothing that a fence forbids is done',
    fix: 'Run it from a gateway of the version that wrote the entry (the newest one sharing this store reads the shapes it writes). A damaged entry (fence/<cluster> in the store) must be restored from a backup of the store first: until then this cluster is treated as fenced.',
  }),
  notFenced: defineError({
    code: 'GATEWAY_ERR_REJOIN_NOT_FENCED',
    status: 409,
    title: 'This cluster was not failed away from, nor left behind by a failed role change: there is nothing to rejoin',
    fix: 'A rejoin follows a failover (GET /v1/operations?kind=failover), or the newest operation on the cluster when it failed after promoting another cluster this one was to follow (GET /v1/operations?cluster=<name>). A primary that is healthy moves with a switchover.',
  }),
  rejoinRoles: defineError({
    code: 'GATEWAY_ERR_REJOIN_ROLES',
    status: 409,
    title: 'The clusters are not where a rejoin can start',
    fix: 'The primary to follow must run as DR primary and the cluster must be a DR secondary of the same replication set: read both (GET /v1/clusters/{name}). A cluster that is a DR primary itself is never re-pointed: make sure only one cluster is the DR primary first.',
  }),
  stillAway: defineError({
    code: 'GATEWAY_ERR_REJOIN_UNREACHABLE',
    status: 409,
    title: 'A cluster of the rejoin does not answer, or its Vault is not readable',
    fix: 'Make both clusters answer (each Vault unsealed, each agent running and reachable from the gateway), with the primary to follow running as DR primary (the detail names what is missing), then rejoin again.',
  }),
  olderThanPrimary: defineError({
    code: 'GATEWAY_ERR_REJOIN_OLDER_VERSION',
    status: 409,
    title: 'The cluster to rejoin runs an older Vault than the primary it would follow',
    fix: 'Upgrade the cluster to the primary version or newer, then rejoin it again.',
  }),
  epochBehind: defineError({
    code: 'GATEWAY_ERR_EPOCH_BEHIND',
    status: 409,
    title: "An agent has seen a fencing epoch far above the gateway store's counter",
    fix: "The store was replaced or restored from an old backup, or the agent's epoch file was edited. Check the agent's VAULT_DR_AGENT_STATE_DIR/epoch and that no gateway of another store drives this agent; the gateway raises its counter by itself only up to 10000 above its own.",
  }),
}

/** Throws the plan's refusal as GATEWAY_ERR_FAILOVER_REFUSED (its code and detail, its fix), when it has one. */
export function refuseUnlessAllowed(plan: {
  allowed: boolean
  refusal: { code: string; detail: string; fix: string | null } | null
}) {
  if (plan.allowed && plan.refusal === null) return
  const refusal = plan.refusal ?? { code: 'UNKNOWN', detail: 'refused', fix: null }
  throw FailoverErrors.refused(`${refusal.code}: ${refusal.detail}`, refusal.fix ? { fix: refusal.fix } : {})
}
