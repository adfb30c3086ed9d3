import { sameClusterAddress } from '@vault-dr/core'
import type { ClusterStatus } from '../agents/agent-types.ts'
import { fail, pass, type Verdict, warn } from './verdict.ts'

/** Vault keeps the primary_cluster_addr a primary was enabled with: a DR primary must already hand out the one asked. */
export function primaryClusterAddrVerdict(primary: ClusterStatus, asked: string): Verdict {
  const r = primary.replication
  if (r === null) return warn('DR_STATUS_UNKNOWN', 'the primary agent could not read DR status', null)
  if (r.mode === 'disabled') return pass(`enable_primary will enable DR with primary_cluster_addr ${asked}`)
  if (r.mode !== 'primary') {
    return warn('NOT_COMPARED', `not compared: the primary's DR mode is ${r.mode} (see primary_role)`, null)
  }
  const current = r.primary_cluster_addr
  if (sameClusterAddress(asked, current)) return pass(`the DR primary already hands out ${asked}`)
  return fail(
    'PRIMARY_CLUSTER_ADDR_DIFFERS',
    `the cluster already is a DR primary handing out ${current ? `primary_cluster_addr ${current}` : "each node's cluster_addr (no primary_cluster_addr)"}, not ${asked}`,
    `Vault keeps the primary_cluster_addr a primary was enabled with: leave primary_cluster_addr out${current ? ` or pass ${current}` : ''}, or change it on the primary by hand first.`,
  )
}
