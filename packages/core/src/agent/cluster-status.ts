import { z } from 'zod'
import { DrReplicationStatus, parseDrStatus } from '../replication/dr-status.ts'
import { readVaultHealth, VaultNodeHealth } from '../replication/vault-health.ts'
import type { VaultClient } from '../vault/vault-client.ts'

export const ClusterStatus = z
  .object({
    vault: VaultNodeHealth,
    replication: DrReplicationStatus.nullable().describe('null when Vault could not be asked'),
    checked_at: z.iso.datetime(),
  })
  .meta({ id: 'ClusterStatus' })
export type ClusterStatus = z.infer<typeof ClusterStatus>

/** One read of the local cluster: sys/health plus sys/replication/dr/status, asked concurrently. */
export async function readClusterStatus(vault: VaultClient): Promise<ClusterStatus> {
  const [health, dr] = await Promise.all([
    readVaultHealth(vault),
    vault.read('sys/replication/dr/status', { token: null, accept: [404] }).then(
      (res) => (res.status === 404 ? parseDrStatus({ mode: 'disabled' }) : parseDrStatus(res.body?.data)),
      () => null,
    ),
  ])
  return { vault: health, replication: dr, checked_at: new Date().toISOString() }
}

/** The query of a status endpoint: how old a shared answer may be. */
export const StatusQuery = z.object({
  max_age_ms: z.coerce
    .number()
    .int()
    .min(0)
    .max(60_000)
    .optional()
    .describe('How old a shared answer may be, in ms; 0 asks Vault now. Default VAULT_DR_STATUS_CACHE_MS.'),
})
