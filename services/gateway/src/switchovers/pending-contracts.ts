/**
 * The engine's, the store's and the agents' shared types as contracts.md states them, declared here until those
 * land on main; then each line becomes an import of the real module and this file goes away.
 */
import type { components as PrimaryComponents } from '@vault-dr/primary-agent/openapi'
import type { FastifyBaseLogger } from 'fastify'
import { z } from 'zod'
import type { AgentClients, AgentTarget } from '../agents/agent-clients.ts'
import type { ClusterStatus, DrOperationToken, SecondaryToken } from '../agents/agent-types.ts'
import type { ClusterRole } from '../clusters/clusters.schemas.ts'
import type { StepError } from '../handshakes/handshakes.schemas.ts'
import type { StepResult } from '../handshakes/step-context.ts'

// operations/step.ts
export { StepCancelled, StepFailed, type StepResult, toStepError } from '../handshakes/step-context.ts'

// operations/operations.schemas.ts
export type OperationState = 'pending' | 'running' | 'succeeded' | 'failed' | 'cancelled'
export type { StepError }
export interface OperationStep {
  name: string
  status: 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped'
  started_at: string | null
  finished_at: string | null
  detail: string | null
  error: StepError | null
}
export const pendingStep = (name: string): OperationStep => ({
  name,
  status: 'pending',
  started_at: null,
  finished_at: null,
  detail: null,
  error: null,
})

// operations/operation-kind.ts
export interface StepSpec<Ctx> {
  name: string
  run(ctx: Ctx): Promise<StepResult>
  interruptible?: boolean
  cancellable?: boolean
  pastPointOfNoReturn?: boolean
}
export interface OperationRun<Rec> {
  record: () => Rec
  save(patch: Partial<Rec>, event?: { type: 'checks' | 'note'; data: Record<string, unknown> }): Promise<void>
  signal: () => AbortSignal
  cancelRequested(): Promise<boolean>
  now: () => number
  log: FastifyBaseLogger
}
export interface OperationKind<Rec, Ctx> {
  kind: string
  step(name: string, record: Rec): StepSpec<Ctx>
  context(run: OperationRun<Rec>): Promise<Ctx>
  compensate?(
    ctx: Ctx,
    why: 'failed' | 'cancelled',
  ): Promise<{ note: string; fix?: string | null; patch?: Partial<Rec> }>
  lateCancelNote?: string
}

// store/store.ts
export type OperationKindName = 'switchover' | 'drill' | 'failover' | 'rejoin'
export interface OperationRecord {
  id: string
  kind: OperationKindName
  state: OperationState
  clusters: string[]
  subject: Record<string, unknown>
  data: Record<string, unknown>
  steps: OperationStep[]
  error: StepError | null
  cancel_requested: boolean
  idempotency_key: string | null
  request_hash: string | null
  created_at: string
  updated_at: string
  finished_at: string | null
}
/** The part of the store a role change uses. */
export interface RoleChangeStore {
  bumpEpoch(): Promise<number>
  setClusterRole(name: string, role: ClusterRole, at: string): Promise<void>
}

// operations/operations.service.ts
export interface OperationsService {
  start(record: OperationRecord): Promise<{ created: boolean; operation: unknown }>
}

// agents/agent-clients.ts (and agent-types.ts)
export type RoleChangeResult = PrimaryComponents['schemas']['RoleChangeResult']
export interface ChangeOptions {
  epoch?: number
  signal?: AbortSignal
}
export interface ClusterAgentClient {
  status(signal?: AbortSignal, opts?: { fresh?: boolean; timeoutMs?: number }): Promise<ClusterStatus>
  demote(body: Record<string, never>, opts?: ChangeOptions): Promise<RoleChangeResult>
  promote(
    body: { dr_operation_token: string; primary_cluster_addr?: string; force?: boolean },
    opts?: ChangeOptions,
  ): Promise<RoleChangeResult>
  updatePrimary(
    body: { dr_operation_token: string; token: string; primary_api_addr?: string; ca_file?: string },
    opts?: ChangeOptions,
  ): Promise<RoleChangeResult>
  generatePublicKey(opts?: ChangeOptions): Promise<{ secondary_public_key: string }>
  mintToken(
    body: { secondary_id: string; ttl: string; secondary_public_key?: string },
    signal?: AbortSignal,
    opts?: ChangeOptions,
  ): Promise<SecondaryToken>
  revoke(secondaryId: string, signal?: AbortSignal, opts?: ChangeOptions): Promise<unknown>
  createDrOperationToken(body: { ttl?: string }, signal?: AbortSignal, opts?: ChangeOptions): Promise<DrOperationToken>
  checkWrites(signal?: AbortSignal): Promise<{ writable: boolean; detail: string; took_ms: number }>
}
export const clusterClient = (agents: AgentClients, target: AgentTarget): ClusterAgentClient =>
  (agents as unknown as { cluster(t: AgentTarget): ClusterAgentClient }).cluster(target)

// operations/operations.schemas.ts: the public Operation every route answers
const StepErrorSchema = z.object({ code: z.string(), detail: z.string(), fix: z.string().nullable() })
export const Operation = z
  .object({
    id: z.string(),
    kind: z.string(),
    state: z.enum(['pending', 'running', 'succeeded', 'failed', 'cancelled']),
    clusters: z.array(z.string()),
    subject: z.record(z.string(), z.unknown()),
    result: z.record(z.string(), z.unknown()).nullable(),
    steps: z.array(
      z.object({
        name: z.string(),
        status: z.enum(['pending', 'running', 'succeeded', 'failed', 'skipped']),
        started_at: z.string().nullable(),
        finished_at: z.string().nullable(),
        detail: z.string().nullable(),
        error: StepErrorSchema.nullable(),
      }),
    ),
    error: StepErrorSchema.nullable(),
    cancel_requested: z.boolean(),
    created_at: z.string(),
    updated_at: z.string(),
    finished_at: z.string().nullable(),
  })
  .meta({ id: 'Operation' })
export const toPublicOperation = (r: OperationRecord): z.infer<typeof Operation> => {
  const { idempotency_key: _k, request_hash: _h, data, ...rest } = r
  return { ...rest, result: data }
}
