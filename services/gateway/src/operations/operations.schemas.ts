import { z } from 'zod'
import { ClusterName } from '../clusters/clusters.schemas.ts'

export const OPERATION_STATES = ['pending', 'running', 'succeeded', 'failed', 'cancelled'] as const
export const OperationState = z.enum(OPERATION_STATES).meta({ id: 'OperationState' })
export type OperationState = z.infer<typeof OperationState>

export const StepError = z
  .object({
    code: z.string().describe('The diagnosis: a check code, an agent code (upstream) or a GATEWAY_ERR_* code'),
    detail: z.string(),
    fix: z.string().nullable(),
  })
  .meta({ id: 'StepError' })
export type StepError = z.infer<typeof StepError>

export const STEP_STATUSES = ['pending', 'running', 'succeeded', 'failed', 'skipped'] as const

export const OperationStep = z
  .object({
    name: z.string().min(1).max(128),
    status: z.enum(STEP_STATUSES),
    started_at: z.iso.datetime().nullable(),
    finished_at: z.iso.datetime().nullable(),
    detail: z.string().nullable(),
    error: StepError.nullable(),
  })
  .meta({ id: 'OperationStep' })
export type OperationStep = z.infer<typeof OperationStep>

export const OPERATION_KINDS = ['handshake', 'switchover', 'drill', 'failover', 'rejoin'] as const
export const OperationKindName = z.enum(OPERATION_KINDS).meta({ id: 'OperationKind' })
export type OperationKindName = z.infer<typeof OperationKindName>

export const Operation = z
  .object({
    id: z.string(),
    kind: OperationKindName,
    state: OperationState,
    clusters: z.array(z.string()).describe('Every cluster the operation touches (and holds while unfinished)'),
    subject: z.record(z.string(), z.unknown()).describe('What was asked'),
    result: z
      .record(z.string(), z.unknown())
      .nullable()
      .describe('What the operation found and did so far; never a secret'),
    steps: z.array(OperationStep),
    error: StepError.nullable().describe('Why the operation failed or was cancelled, when it was'),
    cancel_requested: z.boolean(),
    past_point_of_no_return: z
      .boolean()
      .describe(
        "A step past its point of no return has started (a handshake's activation, a role change's demote or promote): a cancellation no longer stops it, it runs to a safe end. False: a cancellation stops it before that step, with nothing past it done",
      ),
    created_at: z.iso.datetime(),
    updated_at: z.iso.datetime(),
    finished_at: z.iso.datetime().nullable(),
  })
  .meta({ id: 'Operation' })
export type Operation = z.infer<typeof Operation>

export const OperationList = z.object({ operations: z.array(Operation) }).meta({ id: 'OperationList' })

export const OperationParams = z.object({ id: z.string().min(1).max(64) })

export const ListOperationsQuery = z
  .object({
    kind: OperationKindName.optional(),
    state: OperationState.optional(),
    // A name no cluster can have (a typo, `DC1`) is refused, not answered with an empty list that reads as "nothing
    // holds it"; a registered name since deleted still lists its history.
    cluster: ClusterName.optional().describe('Only operations that touch this cluster'),
    limit: z.coerce.number().int().min(1).max(500).default(100),
  })
  // An unknown filter (a misspelt `sate=`) is refused, not ignored into an unfiltered list.
  .strict()
export type ListOperationsQuery = z.infer<typeof ListOperationsQuery>

export const LastEventIdHeaders = z.object({
  'last-event-id': z
    .string()
    .regex(/^\d{0,16}$/, 'must be the id of an event received, in digits')
    .optional()
    .describe(
      'Replay the events after this one (the id of the last event received; 0: every event stored); empty or absent: the snapshot, then the events stored from then on',
    ),
})
