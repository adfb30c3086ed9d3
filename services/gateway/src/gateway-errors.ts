import { defineError, invalidFields } from '@vault-dr/core'

/** The gateway's catalogue: HTTP answers, and the diagnoses a handshake step can end with. */
export const GatewayErrors = {
  clusterNotFound: defineError({
    code: 'GATEWAY_ERR_CLUSTER_NOT_FOUND',
    status: 404,
    title: 'No such cluster',
    fix: 'List the registered clusters (GET /v1/clusters) or register it (POST /v1/clusters).',
  }),
  unknownCluster: defineError({
    code: 'GATEWAY_ERR_UNKNOWN_CLUSTER',
    status: 400,
    title: 'The request names a cluster that is not registered',
    fix: 'Register the cluster first (POST /v1/clusters), then name it exactly.',
  }),
  clusterRole: defineError({
    code: 'GATEWAY_ERR_CLUSTER_ROLE',
    status: 400,
    title: 'The cluster is registered with the other role',
    fix: 'Name a cluster registered with role "primary" as primary and one with role "secondary" as secondary.',
  }),
  sameCluster: defineError({
    code: 'GATEWAY_ERR_SAME_CLUSTER',
    status: 400,
    title: 'Primary and secondary are the same cluster',
    fix: 'Name two different registered clusters.',
  }),
  clusterInUse: defineError({
    code: 'GATEWAY_ERR_CLUSTER_IN_USE',
    status: 409,
    title: 'An unfinished handshake or operation uses this cluster',
    fix: 'Wait for it to finish, or cancel it (POST /v1/operations/{id}/cancel); GET /v1/operations?cluster=<name> lists it first.',
  }),
  clusterFenced: defineError({
    code: 'GATEWAY_ERR_CLUSTER_FENCED',
    status: 409,
    title: 'A failover fenced this cluster and its agent has not demoted it yet',
    fix: 'Bring its site back: the gateway demotes it as soon as its agent answers (vault-dr clusters list shows it primary (fenced), then demoted), and vault-dr rejoin makes it a DR secondary. Deregistered before that, no gateway would demote it: its Vault would come back as a second writable DR primary. Only if its site is gone for good (its Vault destroyed, never to answer again): vault-dr clusters remove <name> --site-lost (DELETE /v1/clusters/{name}?site_lost=true).',
  }),
  agentUrlInUse: defineError({
    code: 'GATEWAY_ERR_AGENT_URL_IN_USE',
    status: 409,
    title: 'Another registered cluster has this agent',
    fix: 'An agent serves one cluster: register each cluster with the URL of its own agent. If the agent now serves this cluster instead, delete the other registration first (DELETE /v1/clusters/{name}).',
  }),
  handshakeNotFound: defineError({
    code: 'GATEWAY_ERR_HANDSHAKE_NOT_FOUND',
    status: 404,
    title: 'No such handshake',
    fix: 'List handshakes with GET /v1/handshakes.',
  }),
  handshakeInProgress: defineError({
    code: 'GATEWAY_ERR_HANDSHAKE_IN_PROGRESS',
    status: 409,
    title: 'A pending or running handshake already uses this secondary, or this secondary id on this primary',
    fix: 'Follow the running handshake (GET /v1/handshakes/{id}) or cancel it before starting another.',
  }),
  handshakeFinished: defineError({
    code: 'GATEWAY_ERR_HANDSHAKE_FINISHED',
    status: 409,
    title: 'The handshake has already finished',
    fix: 'Only a pending or running handshake can be cancelled; start a new one if needed.',
  }),
  clusterBusy: defineError({
    code: 'GATEWAY_ERR_CLUSTER_BUSY',
    status: 409,
    title: 'An unfinished operation holds one of the clusters',
    fix: 'Follow the operation that holds the cluster (GET /v1/operations/{id}) and start again once it finished, or cancel it (POST /v1/operations/{id}/cancel).',
  }),
  operationNotFound: defineError({
    code: 'GATEWAY_ERR_OPERATION_NOT_FOUND',
    status: 404,
    title: 'No such operation',
    fix: 'List operations with GET /v1/operations.',
  }),
  operationFinished: defineError({
    code: 'GATEWAY_ERR_OPERATION_FINISHED',
    status: 409,
    title: 'The operation has already finished',
    fix: 'Only a pending or running operation can be cancelled; start a new one if needed.',
  }),
  idempotencyKeyReused: defineError({
    code: 'GATEWAY_ERR_IDEMPOTENCY_KEY_REUSED',
    status: 422,
    title: 'The Idempotency-Key was used with another request body',
    fix: 'Send the same body again to get the same handshake or operation, or use a new Idempotency-Key for a new request.',
  }),
  tokenTtlTooShort: defineError({
    code: 'GATEWAY_ERR_TOKEN_TTL_TOO_SHORT',
    status: 400,
    title: 'The token TTL leaves no time to hand the token over',
    fix: 'Choose a token_ttl longer than VAULT_DR_TOKEN_MIN_REMAINING_MS.',
  }),
  storeKeyMismatch: defineError({
    code: 'GATEWAY_ERR_STORE_KEY_MISMATCH',
    status: 500,
    title: 'A stored agent token cannot be decrypted',
    fix: 'The store key changed (VAULT_DR_STORE_KEY, or VAULT_DR_API_TOKEN when that is unset): restore it, or register the cluster again with its agent token (vault-dr clusters add); once every stored cluster is registered again, /readyz is ready. Set VAULT_DR_STORE_KEY_FILE so that rotating the API token leaves the store alone.',
  }),
  agentUnreachable: defineError({
    code: 'GATEWAY_ERR_AGENT_UNREACHABLE',
    status: 502,
    title: 'The agent could not be reached',
    fix: "Check the cluster's agent_url, that the agent runs, and the network between gateway and agent.",
  }),
  agentTimeout: defineError({
    code: 'GATEWAY_ERR_AGENT_TIMEOUT',
    status: 504,
    title: 'The agent did not answer in time',
    fix: 'Check the agent and its Vault. If they are only slow: VAULT_DR_FLEET_TIMEOUT_MS bounds the status reads of cluster, pair and plan views, VAULT_DR_AGENT_CHANGE_TIMEOUT_MS the role changes (enable, activate, demote, promote, update-primary, fence), VAULT_DR_AGENT_TIMEOUT_MS the others.',
  }),
  agentUnauthorized: defineError({
    code: 'GATEWAY_ERR_AGENT_UNAUTHORIZED',
    status: 502,
    title: "The agent rejected the gateway's token",
    fix: "Register the cluster again with the agent's VAULT_DR_API_TOKEN as agent_token.",
  }),
  agentRejected: defineError({
    code: 'GATEWAY_ERR_AGENT_REJECTED',
    status: 502,
    title: 'The agent refused the request',
    fix: 'See upstream.code and the detail: it names what the agent found.',
  }),
  agentFailed: defineError({
    code: 'GATEWAY_ERR_AGENT_FAILED',
    status: 502,
    title: 'The agent failed',
    fix: "See upstream.code and the agent's log (search its request id).",
  }),
  agentBadResponse: defineError({
    code: 'GATEWAY_ERR_AGENT_BAD_RESPONSE',
    status: 502,
    title: 'The agent answered something the gateway does not understand',
    fix: 'Run gateway and agents of the same vault-dr version.',
  }),
  clusterRecheckFailed: defineError({
    code: 'GATEWAY_ERR_CLUSTER_RECHECK_FAILED',
    status: 422,
    title: "The primary's cluster port failed the check after DR was enabled",
    fix: 'Make 8201 reachable from the secondary without TLS termination (layer-4 passthrough); no token was minted.',
  }),
  tokenInvalid: defineError({
    code: 'GATEWAY_ERR_TOKEN_INVALID',
    status: 502,
    title: 'A freshly minted activation token does not look up as valid',
    fix: "Check that the token's addr reaches the issuing primary from the secondary's network, and the clocks.",
  }),
  tooManyMints: defineError({
    code: 'GATEWAY_ERR_TOO_MANY_MINTS',
    status: 502,
    title: 'Activation tokens kept expiring before they could be used',
    fix: 'Raise token_ttl (or VAULT_DR_TOKEN_TTL), or lower VAULT_DR_TOKEN_MIN_REMAINING_MS; check the clocks.',
  }),
  activationUnconfirmed: defineError({
    code: 'GATEWAY_ERR_ACTIVATION_UNCONFIRMED',
    status: 502,
    title: 'The activation call failed and the secondary does not show the primary',
    fix: "Read the secondary's status and the agent's log; re-run the handshake, which revokes and re-mints.",
  }),
  secondaryIdInUse: defineError({
    code: 'GATEWAY_ERR_SECONDARY_ID_IN_USE',
    status: 409,
    title: 'Another DR secondary of this primary uses the secondary id',
    fix: 'Choose another secondary_id, or revoke that id on the primary deliberately (it cuts off the secondary using it) and start again.',
  }),
  secondaryIdNotOurs: defineError({
    code: 'GATEWAY_ERR_SECONDARY_ID_NOT_OURS',
    status: 409,
    title: 'The secondary id is known to the primary and vault-dr will not revoke it',
    fix: "If no DR secondary uses the id any more, revoke it on the primary (the primary agent's revokeSecondary, or sys/replication/dr/primary/revoke-secondary) and start the handshake again; otherwise choose another secondary_id.",
  }),
  alreadyActivated: defineError({
    code: 'GATEWAY_ERR_ALREADY_ACTIVATED',
    status: 409,
    title: 'The secondary is already activated with this id by this primary',
    fix: 'Nothing to mint or activate: the handshake verifies the secondary instead. If you see this outside a handshake, run the handshake again.',
  }),
  activationUnresolved: defineError({
    code: 'GATEWAY_ERR_ACTIVATION_UNRESOLVED',
    status: 503,
    title: 'An activation sent to the secondary has not resolved',
    fix: 'The secondary agent lost track of an activation it was sent (it restarted) and the secondary has not settled: check the secondary agent and its Vault (vault-dr clusters status <secondary>), then start the handshake again; it verifies instead of activating twice. Nothing was revoked.',
  }),
  secondarySettling: defineError({
    code: 'GATEWAY_ERR_SECONDARY_SETTLING',
    status: 503,
    title: 'The secondary has not settled',
    fix: 'An activation may be in flight (the secondary is bootstrapping, or its Vault is sealed or cannot report its DR status, as while one bootstraps): wait until the secondary agent reports a DR mode again, then start the handshake again (it verifies instead of activating twice); check the secondary agent and its Vault if it stays so; raise VAULT_DR_VERIFY_TIMEOUT_MS if bootstrapping takes long.',
  }),
  verifyTimeout: defineError({
    code: 'GATEWAY_ERR_VERIFY_TIMEOUT',
    status: 504,
    title: 'Replication did not become healthy in time',
    fix: 'Read the detail for what is missing; raise VAULT_DR_VERIFY_TIMEOUT_MS when the first sync is long. The secondary was activated already: running the handshake again only verifies (it never activates twice).',
  }),
  internal: defineError({
    code: 'GATEWAY_ERR_INTERNAL',
    status: 500,
    title: 'An unexpected failure in the gateway',
    fix: 'This is a bug in vault-dr: report it with the handshake or operation id and the gateway log.',
  }),
  cancelled: defineError({
    code: 'GATEWAY_ERR_CANCELLED',
    status: 409,
    title: 'The handshake or operation was cancelled',
    fix: 'Ask for it again when it is wanted.',
  }),
} as const

/** The field a GATEWAY_ERR_SAME_CLUSTER names: the secondary repeats the primary. */
export const sameClusterField = invalidFields({
  path: 'body/secondary',
  message: 'names the same cluster as body/primary',
})
