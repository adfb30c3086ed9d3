import { z } from 'zod'
import { ClusterStatus } from '../cluster-status.ts'

/** Why this agent's cluster is fenced: the record kept in `$VAULT_DR_AGENT_STATE_DIR/fence` and shown in its status. */
export const FenceRecord = z
  .object({
    at: z.iso.datetime().describe('When the fence was recorded (before the agent acted on it)'),
    reason: z.string().describe('Why: what the gateway sent, or what this agent saw when it fenced itself'),
    epoch: z.number().int().min(0).describe('The fencing epoch the fence was recorded under'),
    demoted_at: z.iso
      .datetime()
      .nullable()
      .describe(
        'When this agent saw the cluster a DR secondary; null while it still is (or may be) a DR primary: the agent ' +
          'retries the demote and refuses every other change',
      ),
    by: z
      .enum(['gateway', 'isolation'])
      .describe('gateway: fenceCluster after a failover; isolation: VAULT_DR_FENCE_ON_ISOLATION fired'),
    failover_id: z.string().nullable().describe('The failover the gateway named, if any'),
    last_wal: z
      .number()
      .int()
      .min(0)
      .nullable()
      .default(null)
      .describe(
        "The cluster's last WAL when this agent demoted it (the highest it reported right before and after the " +
          'demote): what it wrote that the new primary never received is lost. null until this agent demotes it, ' +
          'or when it found the cluster demoted already',
      ),
  })
  .meta({ id: 'FenceRecord' })
export type FenceRecord = z.infer<typeof FenceRecord>

const Printable = /^[\x20-\x7e]*$/

export const FenceRequest = z
  .object({
    reason: z
      .string()
      .min(1)
      .max(200)
      .regex(Printable, 'must be printable ASCII')
      .optional()
      .describe('Why the cluster is fenced, shown in the status (default: failed away from by the gateway)'),
    failover_id: z
      .string()
      .min(1)
      .max(64)
      .regex(/^[A-Za-z0-9._:-]+$/, 'must be letters, digits and . _ : -')
      .optional()
      .describe('The failover that moved the primary role away from this cluster'),
  })
  .strict()
  .meta({ id: 'FenceRequest' })
export type FenceRequest = z.infer<typeof FenceRequest>

/** The agent status's fence part: null when the cluster is not fenced. */
export const FencedField = FenceRecord.nullable().describe(
  'Set while the cluster is fenced (failed away from, or self-fenced on isolation); null otherwise',
)

export const FenceResult = z
  .object({
    fenced: z.literal(true),
    demoted: z
      .boolean()
      .describe(
        'true: the cluster is a DR secondary now (demoted by this call or before). false: the demote failed or ' +
          'cannot be done yet (detail says why): the agent retries it in the background and refuses every other ' +
          'change meanwhile',
      ),
    detail: z.string(),
    record: FenceRecord,
    status: ClusterStatus.describe('The cluster status read last'),
  })
  .meta({ id: 'FenceResult' })
export type FenceResult = z.infer<typeof FenceResult>

export const ClearFenceResult = z
  .object({
    cleared: z.boolean().describe('false: the cluster was not fenced; nothing changed'),
    detail: z.string(),
  })
  .meta({ id: 'ClearFenceResult' })
export type ClearFenceResult = z.infer<typeof ClearFenceResult>
