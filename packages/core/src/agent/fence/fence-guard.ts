import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify'
import { type ProblemResponse, problemResponse } from '../../problem.ts'
import { FENCED_OPERATIONS } from '../epoch/epoch-fence.ts'
import { FenceErrors } from './fence-errors.ts'
import type { FenceKeeper } from './fence-keeper.ts'

/** What a fenced agent still serves on its cluster: the demote, and the fence calls themselves. */
export const SERVED_WHILE_FENCED: ReadonlySet<string> = new Set(['demoteDrPrimary', 'fenceCluster', 'clearFence'])

/**
 * What would make a fenced cluster a primary again: refused as long as the fence is on record, demoted or not (its
 * keeper would demote it again, and until then it would take writes beside the new primary). A rejoin needs neither.
 */
export const REFUSED_UNTIL_CLEARED: ReadonlySet<string> = new Set(['promoteDrSecondary', 'enableDrPrimary'])

const FENCED = 'the cluster is fenced and not demoted yet, or fenced at all for a promote (AGENT_ERR_FENCED)'

function with409(existing: ProblemResponse | undefined): ProblemResponse {
  if (existing === undefined) return problemResponse(`Refused: ${FENCED}`)
  return { ...existing, description: `${existing.description}; or ${FENCED}` }
}

/**
 * Refuses every change but a demote (409 AGENT_ERR_FENCED) while the fence record says fenced and the cluster is not
 * known to be demoted, and a promote or primary enable while any fence is on record (until clearFence). Install after
 * installEpochFence and before the routes: a stale caller hears it is stale first.
 */
export function installFenceGuard(app: FastifyInstance, keeper: FenceKeeper): void {
  const guard = (_request: FastifyRequest, _reply: FastifyReply, done: (err?: Error) => void) => {
    if (keeper.pending()) done(FenceErrors.fenced(keeper.refusal()))
    else done()
  }
  const neverPrimary = (_request: FastifyRequest, _reply: FastifyReply, done: (err?: Error) => void) =>
    done(fenceRefusal(keeper, 'promote'))
  app.addHook('onRoute', (route: RouteOptions) => {
    const operationId = (route.schema as { operationId?: string } | undefined)?.operationId
    if (operationId === undefined || route.schema === undefined) return
    if (!FENCED_OPERATIONS.has(operationId) || SERVED_WHILE_FENCED.has(operationId)) return
    const response = (route.schema.response ?? {}) as Record<string, unknown>
    route.schema = { ...route.schema, response: { ...response, 409: with409(response[409] as ProblemResponse) } }
    route.preHandler = [
      ...[route.preHandler ?? []].flat(),
      REFUSED_UNTIL_CLEARED.has(operationId) ? neverPrimary : guard,
    ]
  })
}

/**
 * Why the fence refuses a change now, if it does: a promote (or a primary enable) whenever a fence is on record, any
 * other change while the cluster is not known to be demoted. Read by the routes' guard and again by the role-change
 * service once a change has its turn.
 */
export function fenceRefusal(
  keeper: Pick<FenceKeeper, 'record' | 'pending' | 'refusal'>,
  change: 'promote' | 'update_primary',
): Error | undefined {
  const fence = keeper.record()
  if (fence === undefined) return undefined
  if (change !== 'promote') return keeper.pending() ? FenceErrors.fenced(keeper.refusal()) : undefined
  const by = fence.by === 'gateway' ? 'by the gateway' : 'by this agent on isolation'
  return FenceErrors.fenced(
    `Fenced ${by} at ${fence.at} (${fence.reason}): it must not become a DR primary again while the fence holds.`,
    {
      fix: 'Rejoin it as a DR secondary of the new primary (vault-dr rejoin <cluster>), which ends the fence; a switchover back is then allowed. If no failover took place (a self-fence on a partition that healed), clear the fence (clearFence) first, then promote it.',
    },
  )
}
