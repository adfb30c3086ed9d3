import { sameClusterAddress } from '../../replication/vault-address.ts'
import { type ClusterStatus, statusReadError } from '../cluster-status.ts'
import { PrimaryErrors } from '../primary-errors.ts'
import { settleAfterChange } from '../settle.ts'
import { GUARD_STATUS_MAX_AGE_MS, type VaultAgent } from '../vault-agent.ts'

export interface EnableResult {
  changed: boolean
  detail: string
  warnings: string[]
  status: ClusterStatus
}

const isRunningPrimary = (s: ClusterStatus) =>
  s.replication?.mode === 'primary' && s.replication.state === 'running' && s.vault.dr_mode === 'primary'

/**
 * Enables DR primary once: a cluster that already is one is left alone, a DR secondary is refused, and after
 * enabling it waits (polling, bounded) until Vault reports a running primary again.
 */
export async function enableDrPrimary(
  agent: VaultAgent,
  opts: { primaryClusterAddr?: string | undefined; waitTimeoutMs: number },
): Promise<EnableResult> {
  const before = await agent.status(GUARD_STATUS_MAX_AGE_MS)
  if (before.replication === null || !before.vault.reachable) {
    throw (
      statusReadError(before) ??
      PrimaryErrors.vaultUnavailable(`Cannot read the cluster's replication status: ${before.vault.error ?? ''}`)
    )
  }
  const mode = before.replication.mode
  if (mode === 'primary') {
    const current = before.replication.primary_cluster_addr
    if (opts.primaryClusterAddr !== undefined && !sameClusterAddress(opts.primaryClusterAddr, current)) {
      throw PrimaryErrors.clusterAddrDiffers(
        `The cluster already is a DR primary with primary_cluster_addr ${current ?? "unset (secondaries dial each node's cluster_addr)"}; ${opts.primaryClusterAddr} was asked for and not applied.`,
      )
    }
    return {
      changed: false,
      detail: 'The cluster already is a DR primary; nothing changed.',
      warnings: [],
      status: before,
    }
  }
  if (mode === 'secondary' || mode === 'bootstrapping') {
    throw PrimaryErrors.isDrSecondary(`The cluster is a DR ${mode} (secondary_id ${before.replication.secondary_id}).`)
  }
  const res = await agent.vault
    .write(
      'sys/replication/dr/primary/enable',
      opts.primaryClusterAddr === undefined ? {} : { primary_cluster_addr: opts.primaryClusterAddr },
    )
    .finally(() => agent.invalidateStatus())
  // Vault restarts its internals after enabling; reads fail for a moment, which polling rides over.
  const after = await settleAfterChange(agent, isRunningPrimary, opts.waitTimeoutMs)
  if (after === undefined) {
    throw PrimaryErrors.enableTimeout(`Not a running DR primary ${opts.waitTimeoutMs} ms after enabling.`)
  }
  return {
    changed: true,
    detail: 'DR primary enabled; the cluster is a running primary.',
    warnings: res.body?.warnings ?? [],
    status: after,
  }
}
