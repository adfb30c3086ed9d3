import type { VaultAgent } from '../vault-agent.ts'
import { DR_OPERATION_NAME } from './create-token.schemas.ts'

/**
 * The policy of fact sheet 2.6: update on promote and update-primary, update on merkle-check (run after every
 * update-primary, fact sheet 2.8), and read/update on autopilot state so the token also serves as X-Vault-Token for the
 * harmless validation call on a DR secondary (raft storage).
 */
export const DR_OPERATION_POLICY = `path "sys/replication/dr/secondary/promote" {
  capabilities = ["update"]
}
path "sys/replication/dr/secondary/update-primary" {
  capabilities = ["update"]
}
path "sys/replication/dr/secondary/merkle-check" {
  capabilities = ["update"]
}
path "sys/storage/raft/autopilot/state" {
  capabilities = ["update", "read"]
}
`

/** The token role: batch, orphan, not renewable, allowed only the policy above. */
export const DR_OPERATION_ROLE = {
  allowed_policies: [DR_OPERATION_NAME],
  orphan: true,
  renewable: false,
  token_type: 'batch',
} as const

/** Writes the policy unless Vault already has it as needed; a write is a replicated WAL, so none is made needlessly. */
export async function ensurePolicy(agent: VaultAgent): Promise<boolean> {
  const path = `sys/policies/acl/${DR_OPERATION_NAME}`
  const current = await agent.vault.read(path, { accept: [404] })
  if (current.status === 200 && String(current.body?.data?.policy ?? '').trim() === DR_OPERATION_POLICY.trim()) {
    return false
  }
  await agent.vault.write(path, { policy: DR_OPERATION_POLICY }, { idempotent: true })
  return true
}

/** Writes the token role unless Vault already has it with these settings. */
export async function ensureRole(agent: VaultAgent): Promise<boolean> {
  const path = `auth/token/roles/${DR_OPERATION_NAME}`
  const current = await agent.vault.read(path, { accept: [404] })
  const data = current.status === 200 ? (current.body?.data ?? {}) : undefined
  if (data !== undefined && sameRole(data)) return false
  await agent.vault.write(path, { ...DR_OPERATION_ROLE }, { idempotent: true })
  return true
}

function sameRole(data: Record<string, unknown>): boolean {
  const allowed = Array.isArray(data.allowed_policies) ? data.allowed_policies.map(String) : []
  return (
    allowed.length === 1 &&
    allowed[0] === DR_OPERATION_NAME &&
    data.orphan === true &&
    data.renewable === false &&
    data.token_type === 'batch'
  )
}
