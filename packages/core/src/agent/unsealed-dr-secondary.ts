import { VaultErrors } from '../vault/vault-errors.ts'
import { type ClusterStatus, statusReadError } from './cluster-status.ts'
import { SecondaryErrors } from './secondary-errors.ts'

/**
 * Throws unless `status` shows an unsealed DR secondary: the calls that run on one (a DR operation token's check,
 * merkle-check) say why not, `what` naming the call.
 */
export function requireUnsealedDrSecondary(status: ClusterStatus, what: string): void {
  const { replication } = status
  if (replication === null) {
    throw statusReadError(status) ?? VaultErrors.failed("Cannot read the cluster's replication status.")
  }
  if (status.vault.sealed === true) throw SecondaryErrors.sealed('The secondary cluster is sealed.')
  if (replication.mode !== 'secondary') {
    throw SecondaryErrors.notDrSecondary(
      `The cluster's DR mode is ${replication.mode}: ${what} runs on a DR secondary.`,
    )
  }
}
