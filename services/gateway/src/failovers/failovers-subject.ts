import { z } from 'zod'
import { ClusterName } from '../clusters/clusters.schemas.ts'
import { DownFor, PlanFailoverBody } from './failovers.schemas.ts'

/** What createFailover takes: the same body as its plan. */
export const CreateFailoverBody = PlanFailoverBody.meta({
  id: 'CreateFailoverBody',
  example: { to: 'dc2', down_for: '30s', allow_data_loss: false },
})
export type CreateFailoverBody = z.infer<typeof CreateFailoverBody>

/** What a failover record keeps of its request (the preflight step re-judges with it). */
export const FailoverSubject = z.object({
  from: z.string(),
  to: z.string(),
  down_for: DownFor,
  allow_data_loss: z.boolean(),
})
export type FailoverSubject = z.infer<typeof FailoverSubject>

export const CreateRejoinBody = z
  .object({
    cluster: ClusterName.describe(
      'The old primary a failover promoted another cluster away from, or a DR secondary a failed switchover, drill or failover left following no running primary',
    ),
  })
  .strict()
  .meta({ id: 'CreateRejoinBody', example: { cluster: 'dc1' } })
export type CreateRejoinBody = z.infer<typeof CreateRejoinBody>

/**
 * A rejoin follows either the failover that fenced the cluster (`failover_id`), or the failed operation that left it
 * behind (`left_by`): a switchover or drill that failed after its promote, a failover whose follower was not re-pointed.
 */
export const RejoinSubject = z.object({
  cluster: z.string(),
  primary: z.string(),
  failover_id: z.string().nullable(),
  left_by: z.string().optional(),
})
export type RejoinSubject = z.infer<typeof RejoinSubject>
