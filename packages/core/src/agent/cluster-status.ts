import { z } from 'zod'
import { type CodedError, isCodedError } from '../errors.ts'
import { DrReplicationStatus, parseDrStatus } from '../replication/dr-status.ts'
import { readVaultHealth, VaultNodeHealth } from '../replication/vault-health.ts'
import type { VaultClient } from '../vault/vault-client.ts'
import { VaultErrors } from '../vault/vault-errors.ts'

export const ClusterStatus = z
  .object({
    vault: VaultNodeHealth,
    replication: DrReplicationStatus.nullable().describe('null when Vault could not be asked'),
    checked_at: z.iso.datetime(),
  })
  .meta({ id: 'ClusterStatus' })
export type ClusterStatus = z.infer<typeof ClusterStatus>

/** Why Vault could not be asked for a status: kept beside it, out of its wire shape, for as long as it is used. */
const readErrors = new WeakMap<ClusterStatus, CodedError>()

/**
 * One read of the local cluster: sys/health plus sys/replication/dr/status, asked concurrently. A read that fails
 * shows as reachable: false or replication: null; statusReadError says why.
 */
export async function readClusterStatus(vault: VaultClient): Promise<ClusterStatus> {
  let healthError: unknown
  let drError: unknown
  const [health, dr] = await Promise.all([
    readVaultHealth(vault, (err) => {
      healthError = err
    }),
    vault.read('sys/replication/dr/status', { token: null, accept: [404], retryUnreachable: false }).then(
      (res) => (res.status === 404 ? parseDrStatus({ mode: 'disabled' }) : parseDrStatus(res.body?.data)),
      (err: unknown) => {
        drError = err
        return null
      },
    ),
  ])
  const status = { vault: health, replication: dr, checked_at: new Date().toISOString() }
  const failed = !health.reachable ? healthError : dr === null ? drError : undefined
  if (failed !== undefined) readErrors.set(status, asVaultError(failed))
  return status
}

/**
 * The coded Vault error (VAULT_ERR_UNREACHABLE, _TLS, _SEALED, _TIMEOUT...) of a status whose sys/health or DR
 * status read failed, with its cause and fix; undefined when Vault answered both. Whoever cannot act without the
 * status throws this rather than guessing a mode.
 */
export function statusReadError(status: ClusterStatus): CodedError | undefined {
  return readErrors.get(status)
}

function asVaultError(err: unknown): CodedError {
  if (isCodedError(err)) return err
  return VaultErrors.failed(`Reading the cluster status failed: ${(err as Error)?.message ?? String(err)}`, {
    cause: err,
  })
}

/** The query of a status endpoint: how old a shared answer may be. */
/** The DR secondaries Vault reports connected to this cluster as a DR primary (none when it is not one). */
export function connectedSecondaries(status: ClusterStatus): string[] {
  const r = status.replication
  if (r == null || r.mode !== 'primary') return []
  return r.secondaries.flatMap((s) => (s.connection_status === 'connected' && s.node_id !== null ? [s.node_id] : []))
}

export const StatusQuery = z.object({
  max_age_ms: z.coerce
    .number()
    .int()
    .min(0)
    .max(60_000)
    .optional()
    .describe('How old a shared answer may be, in ms; 0 asks Vault now. Default VAULT_DR_STATUS_CACHE_MS.'),
})
