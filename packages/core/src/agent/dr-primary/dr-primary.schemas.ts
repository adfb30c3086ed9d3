import { z } from 'zod'
import { PrimaryClusterAddr } from '../../replication/vault-address.ts'
import { ClusterStatus } from '../cluster-status.ts'

export const EnablePrimaryBody = z
  .object({
    primary_cluster_addr: PrimaryClusterAddr.optional().describe(
      'The cluster address handed to secondaries, e.g. a layer-4 load balancer in front of 8201. On a DR primary ' +
        'it must equal the current one (409 otherwise): Vault keeps the address the primary was enabled with.',
    ),
  })
  .strict()
  .meta({
    id: 'EnablePrimaryRequest',
    examples: [{}, { primary_cluster_addr: 'https://vault-dr-lb.dc1.example:8201' }],
  })

export const EnablePrimaryResult = z
  .object({
    changed: z.boolean().describe('false when the cluster already was a DR primary'),
    detail: z.string(),
    warnings: z.array(z.string()),
    status: ClusterStatus,
  })
  .meta({ id: 'EnablePrimaryResult' })
