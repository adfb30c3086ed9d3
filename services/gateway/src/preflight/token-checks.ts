import type { CodedError } from '@vault-dr/core'
import type { ClusterStatus, VaultTokenCheck } from '../agents/agent-types.ts'
import { agentFailure } from './cluster-checks.ts'
import type { Check } from './preflight.schemas.ts'

type Side = 'primary' | 'secondary'

/**
 * The agent's own proof that its Vault token can do what the handshake asks of it (checkVaultToken). Left out when
 * that Vault cannot be reached at all: the side's vault check says so, and a second failure would only repeat it.
 */
export function tokenCheck(side: Side, status: ClusterStatus, outcome: PromiseSettledResult<VaultTokenCheck>): Check[] {
  const name = `${side}_vault_token`
  if (!status.vault.reachable) return []
  if (outcome.status === 'rejected') {
    return [agentFailure(name, `${side}-agent`, outcome.reason as CodedError, 'preflight')]
  }
  const c = outcome.value
  // Checked at the primary (the secondary is one of its DR secondaries already): the handshake's own steps need no
  // token of this agent's; it is the failover after it that will. Said, not refused.
  const atPrimary = (c.checked_at_primary ?? null) !== null
  return [
    {
      name,
      status: atPrimary && c.status === 'fail' ? 'warn' : c.status,
      code: c.code,
      detail: `the ${side} agent's Vault token: ${c.detail}`,
      fix: c.fix,
      source: `${side}-agent`,
      phase: 'preflight',
      latency_ms: null,
    },
  ]
}
