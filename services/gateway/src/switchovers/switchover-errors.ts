import { defineError } from '@vault-dr/core'

/** The codes a switchover or a drill answers or ends with (requests: 4xx; steps: StepError codes). */
export const SwitchoverErrors = {
  notAPair: defineError({
    code: 'GATEWAY_ERR_SWITCHOVER_NOT_A_PAIR',
    status: 409,
    title: 'The two clusters are not a DR primary and its streaming secondary',
    fix: 'Name as `to` a registered DR secondary that streams from a running DR primary (GET /v1/pairs), and as `from` that primary or nothing.',
  }),
  sameCluster: defineError({
    code: 'GATEWAY_ERR_SWITCHOVER_SAME_CLUSTER',
    status: 400,
    title: '`from` and `to` are the same cluster',
    fix: 'Name the DR secondary to promote as `to`, and its primary as `from` (or leave `from` out).',
  }),
  preflightFailed: defineError({
    code: 'GATEWAY_ERR_SWITCHOVER_PREFLIGHT_FAILED',
    status: 409,
    title: 'A check before the switchover failed: nothing was changed',
    fix: 'Read the failed checks (each says what to do), mend them, and start again; POST /v1/switchovers/plan re-runs them without changing anything.',
  }),
  catchUpTimeout: defineError({
    code: 'GATEWAY_ERR_SWITCHOVER_CATCH_UP_TIMEOUT',
    status: 504,
    title: 'The secondary did not receive everything the demoted primary wrote in time',
    fix: 'The switchover promotes the old primary back so nothing is lost (see the detail for how it ended). Check the replication link between the two (GET /v1/pairs/{secondary}), then try again, maybe with a longer catch_up_timeout.',
  }),
  unexpectedRole: defineError({
    code: 'GATEWAY_ERR_SWITCHOVER_UNEXPECTED_ROLE',
    status: 409,
    title: 'A cluster is in a DR role the switchover did not put it in',
    fix: 'Someone else changed a role meanwhile: read both clusters (GET /v1/clusters/{name}) and make sure exactly one of them is a DR primary before doing anything else.',
  }),
  statusUnreadable: defineError({
    code: 'GATEWAY_ERR_SWITCHOVER_STATUS_UNREADABLE',
    status: 503,
    title: 'A cluster gave no DR status, so the step decided nothing',
    fix: "Its Vault could not say its DR mode (no active node for a moment after a role change, restarting, sealed or unreachable); the step waited for it for up to VAULT_DR_AGENT_RETURN_MS. Read the operation's steps (which role changes it made) and each cluster's status (GET /v1/clusters/{name}); once its Vault answers, make sure exactly one cluster is the DR primary before anything else.",
  }),
  notWritable: defineError({
    code: 'GATEWAY_ERR_SWITCHOVER_NEW_PRIMARY_NOT_WRITABLE',
    status: 504,
    title: 'The promoted cluster did not accept writes in time',
    fix: 'Check its Vault (sys/health, the server log: seal, leadership, storage). It is the only DR primary: do not promote another. Once it serves, re-point the old primary and any other DR secondary to it without a wipe, each with a rejoin (vault-dr rejoin <cluster>, POST /v1/rejoins).',
  }),
  followerNotStreaming: defineError({
    code: 'GATEWAY_ERR_SWITCHOVER_FOLLOWER_NOT_STREAMING',
    status: 504,
    title: 'A secondary did not stream from the new primary in time',
    fix: "The new primary serves and nothing is lost. Check that the follower reaches the new primary's cluster port (POST /v1/preflight) and read its replication status; then re-point it without a wipe with a rejoin once this operation has ended (vault-dr rejoin <cluster>, POST /v1/rejoins with its name).",
  }),
  noDrOperationToken: defineError({
    code: 'GATEWAY_ERR_SWITCHOVER_NO_DR_OPERATION_TOKEN',
    status: 409,
    title: 'No DR operation token can be used for the whole switchover',
    fix: 'Have the gateway issue a batch token on the primary: vault-dr dr-token rotate <secondary> (POST /v1/pairs/{secondary}/dr-operation-token/rotate; the pair must stream), then start again; the store key it was sealed with must open it. A key-share ceremony token serves failovers only.',
  }),
} as const
