import { statusReadError } from '../cluster-status.ts'
import { PrimaryErrors } from '../primary-errors.ts'
import { ttlSeconds } from '../secondary-tokens/index.ts'
import { GUARD_STATUS_MAX_AGE_MS, type VaultAgent } from '../vault-agent.ts'
import { DR_OPERATION_NAME } from './create-token.schemas.ts'
import { ensurePolicy, ensureRole } from './dr-operation-policy.ts'

/**
 * Makes a batch DR operation token on the primary (fact sheet 2.6): the policy and token role are written when they
 * are not as needed, then `auth/token/create/<role>` issues the token. It is handed back once and passes through
 * memory only: never logged, cached or kept. Only a DR primary issues one: on another cluster it would not replicate
 * to any DR secondary.
 */
export async function createDrOperationToken(agent: VaultAgent, ttl: string, now: () => number = Date.now) {
  // A status a moment old will do: a DR secondary refuses the token's creation itself (vault-agent.ts).
  const status = await agent.status(GUARD_STATUS_MAX_AGE_MS)
  const { replication } = status
  if (replication === null) {
    throw statusReadError(status) ?? PrimaryErrors.vaultUnavailable("Cannot read the cluster's replication status.")
  }
  if (replication.mode !== 'primary') {
    throw PrimaryErrors.notPrimary(
      `The cluster's DR mode is ${replication.mode}: a DR operation token is made on the DR primary.`,
    )
  }
  // The role names the policy but does not need it to exist yet: both are checked at once.
  const [policy, role] = await Promise.all([ensurePolicy(agent), ensureRole(agent)])
  const seconds = ttlSeconds(ttl)
  const issuedAt = now()
  // Not repeated on failure: a repeat could issue a second token, which the caller never sees and cannot revoke.
  const res = await agent.vault.write(`auth/token/create/${DR_OPERATION_NAME}`, { ttl: `${seconds}s` })
  const auth = res.body?.auth ?? {}
  const token = typeof auth.client_token === 'string' ? auth.client_token : ''
  if (token === '' || auth.token_type !== 'batch') {
    throw PrimaryErrors.drTokenMissing(
      `auth/token/create/${DR_OPERATION_NAME} answered no batch token (token_type ${String(auth.token_type ?? 'none')}).`,
    )
  }
  const granted = typeof auth.lease_duration === 'number' && auth.lease_duration > 0 ? auth.lease_duration : seconds
  return {
    token,
    policy: DR_OPERATION_NAME,
    role: DR_OPERATION_NAME,
    ttl_seconds: granted,
    issued_at: new Date(issuedAt).toISOString(),
    expires_at: new Date(issuedAt + granted * 1000).toISOString(),
    primary_cluster_id: replication.cluster_id,
    changed: { policy, role },
  }
}
