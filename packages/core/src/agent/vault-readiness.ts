import type { ReadinessCheck } from '../server/health.ts'
import type { VaultAgent } from './vault-agent.ts'

/** Ready when the local Vault answers and is unsealed; a DR secondary's 472 is normal, not a failure. */
export function vaultReadiness(agent: VaultAgent): ReadinessCheck {
  return async () => {
    const { vault } = await agent.status()
    if (!vault.reachable) return { ok: false, detail: vault.error ?? 'Vault is unreachable' }
    if (vault.sealed === true) return { ok: false, detail: 'Vault is sealed' }
    return { ok: true, detail: `Vault answered sys/health with ${vault.health_code}` }
  }
}
