// Behaviour and texts the fact sheet marks [unverified]: the defaults are our choice (see README),
// and every one can be overridden through `startCluster({ compat })`.

export interface SimMessages {
  primaryEnableOnPrimary: string
  secondaryEnableOnPrimary: string
  notPrimary: string
  alreadySecondary: string
  notSecondary: string
  missingSecondaryId: string
  duplicateSecondaryId: (id: string) => string
  unknownSecondaryId: (id: string) => string
  invalidSecondaryPublicKey: string
  expiredActivationToken: string
  missingActivationToken: string
  noPrimaryApiAddr: string
  unreadableCaFile: (cause: string) => string
  missingDrOperationToken: string
  invalidDrOperationToken: string
  updatePrimaryTokenAndAddrs: string
  updatePrimaryAddrsWithoutPrimary: string
  updatePrimaryOtherSet: string
  noUpdatePrimaryAddrAnswered: (cause: string) => string
  promoteNotInSync: string
  unsupportedPath: string
  badHealthParam: (name: string, value: string) => string
  /** Appended to "...signature could not be validated: " for a JWT signed by another cluster. */
  jwtSignatureCause: string
  unexpectedTypeClaim: string
  restartUnavailable: string
  noActiveNode: string
  reindexStarted: string
  recoverStarted: string
  revokedSecondary: string
}

export interface SimCompat {
  /** secondary-token with the id of a live (non-revoked) secondary: refuse, or replace the old one. */
  duplicateSecondaryId: 'error' | 'replace'
  /** revoke-secondary success: 204 No Content, or 200 with an empty envelope. */
  revokeSecondaryStatus: 200 | 204
  /** update-primary success: 200 with a body (HashiCorp's testcluster code fails on an empty one, D4), or 204 No Content. */
  updatePrimaryStatus: 200 | 204
  /** Status of a dr_operation_token that does not grant the path. */
  invalidDrOperationTokenStatus: 400 | 403
  /**
   * The brief period after enable/promote/demote/update-primary/disable: 'leaderless' = unsealed with no active node
   * (sys/health standby, sys/leader without a leader, other paths 500), as HashiCorp's tooling waits for (D5);
   * 'sealed' = the earlier model (503 sealed).
   */
  unavailability: 'leaderless' | 'sealed'
  /** Where a merkle sync's sync_progress/sync_total_keys sit: under merkle_sync_progress (HashiCorp's UI, D7) or at the top. */
  syncProgress: 'nested' | 'top-level'
  /** The secondary's `state` while its mode is bootstrapping: Vault's UI knows no state "bootstrapping" (D9). */
  bootstrappingState: 'merkle-diff' | 'bootstrapping'
  /**
   * A secondary's `state` once it lost its primary: 'idle' (enos' verify, the field notes), or the state it had
   * ('stream-wals', as P3 showed on Vault ~1.2); `connection_state` shows the loss either way.
   */
  lostPrimaryState: 'idle' | 'kept'
  /** The new primary's last_wal after promote: its own log position ('local', D11) or the old primary's ('continue'). */
  promotedWalCounter: 'local' | 'continue'
  /** Demote and primary disable revoke every unused activation token (unverified either way, D16). */
  revokeActivationTokensOnRoleChange: boolean
  /** A bad sys/health parameter: 400 with an empty `errors` array as Vault (D14), or with a message naming it. */
  badHealthParamErrors: 'empty' | 'message'
  /**
   * The DR operation token ceremony (generate-operation-token): in Vault's unauthenticated list ('none', as the fact
   * sheet's API tables), or authenticated as third-party notes date to 1.19 or 2.x, unconfirmed by HashiCorp
   * ('root': a root token of the replication set's token store, which a DR secondary holds, is required; without
   * one, 403 permission denied, as an authenticated path answers).
   */
  ceremonyAuth: 'none' | 'root'
  messages: SimMessages
}

export interface SimCompatOverrides extends Partial<Omit<SimCompat, 'messages'>> {
  messages?: Partial<SimMessages> | undefined
}

export const defaultMessages: SimMessages = {
  primaryEnableOnPrimary: 'this cluster is already a DR replication primary',
  secondaryEnableOnPrimary:
    'this cluster is a DR replication primary; demote or disable it before enabling it as a secondary',
  notPrimary: 'this cluster is not a DR replication primary',
  alreadySecondary: 'this cluster is already a DR replication secondary',
  notSecondary: 'this cluster is not a DR replication secondary',
  missingSecondaryId: 'missing secondary id',
  duplicateSecondaryId: (id) => `secondary with id ${id} already exists`,
  unknownSecondaryId: (id) => `no secondary with id ${id}`,
  invalidSecondaryPublicKey: 'error parsing secondary public key',
  expiredActivationToken: 'activation token has expired',
  missingActivationToken: 'missing activation token',
  noPrimaryApiAddr: 'the activation token holds no primary API address; supply primary_api_addr',
  unreadableCaFile: (cause) => `error reading CA file: ${cause}`,
  // Observed (hashicorp/vault#4498); kept overridable like the rest.
  missingDrOperationToken: 'DR operation token was not provided',
  invalidDrOperationToken: 'permission denied',
  updatePrimaryTokenAndAddrs: 'token and update_primary_addrs are mutually exclusive',
  updatePrimaryAddrsWithoutPrimary:
    'this secondary has no primary to look for at update_primary_addrs; update-primary needs an activation token',
  // Vault's words are not public: re-pointing keeps the data (fact sheet 2.3), and joining another replication set
  // takes a wipe (2.4), so a primary of another set is refused here.
  updatePrimaryOtherSet:
    "the activation token was issued by a primary of another replication set; update-primary keeps this secondary's data and follows only a primary of its own set: enable it as a secondary of the other one instead (it wipes)",
  noUpdatePrimaryAddrAnswered: (cause) => `none of update_primary_addrs answered: ${cause}`,
  // The words HashiCorp's testcluster code retries on (fact sheet 2.1).
  promoteNotInSync: 'replication is still catching up, try again later or provide the force argument',
  unsupportedPath: 'unsupported path',
  badHealthParam: (name, value) => `bad value for ${name} parameter: ${JSON.stringify(value)}`,
  jwtSignatureCause: 'signature verification failed',
  unexpectedTypeClaim: 'error validating wrapping token: unexpected type claim',
  restartUnavailable: 'Vault is sealed',
  // Vault's request forwarding on a node that knows no active node (http/handler.go), answered with 500.
  reindexStarted: 'Reindexing has started; follow last_reindex_epoch in the replication status.',
  recoverStarted: 'Replication recovery has started; the secondary reconnects to its primary.',
  noActiveNode: 'local node not active but active cluster node not found',
  revokedSecondary: 'secondary is not known to this primary or has been revoked',
}

export const defaultCompat: SimCompat = {
  duplicateSecondaryId: 'error',
  revokeSecondaryStatus: 204,
  updatePrimaryStatus: 200,
  invalidDrOperationTokenStatus: 403,
  unavailability: 'leaderless',
  badHealthParamErrors: 'empty',
  ceremonyAuth: 'none',
  syncProgress: 'nested',
  bootstrappingState: 'merkle-diff',
  lostPrimaryState: 'idle',
  promotedWalCounter: 'local',
  revokeActivationTokensOnRoleChange: true,
  messages: defaultMessages,
}

export function resolveCompat(overrides: SimCompatOverrides | undefined): SimCompat {
  const { messages, ...rest } = overrides ?? {}
  const defined = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined))
  return { ...defaultCompat, ...defined, messages: { ...defaultMessages, ...messages } }
}
