import type { ReadinessCheck, VaultClient } from '@vault-dr/core'

/** Ready when Vault answers sys/health at all; sealed or standby is reported, not hidden. */
export function vaultReadiness(vault: VaultClient): ReadinessCheck {
  return async () => {
    const res = await vault.read('sys/health', { token: null, accept: [429, 472, 473, 501, 503] })
    const sealed = res.body?.sealed === true
    return { ok: !sealed, detail: sealed ? 'Vault is sealed' : `Vault answered sys/health with ${res.status}` }
  }
}
