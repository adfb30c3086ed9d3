import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify'
import { type ProblemResponse, problemResponse } from '../../problem.ts'
import { FENCED_OPERATIONS } from '../epoch/epoch-fence.ts'
import { FenceErrors } from './fence-errors.ts'
import type { FenceKeeper } from './fence-keeper.ts'

/** What a fenced agent still serves on its cluster: the demote, and the fence calls themselves. */
export const SERVED_WHILE_FENCED: ReadonlySet<string> = new Set(['demoteDrPrimary', 'fenceCluster', 'clearFence'])

const FENCED = 'the cluster is fenced and not demoted yet (AGENT_ERR_FENCED)'

function with409(existing: ProblemResponse | undefined): ProblemResponse {
  if (existing === undefined) return problemResponse(`Refused: ${FENCED}`)
  return { ...existing, description: `${existing.description}; or ${FENCED}` }
}

/**
 * Refuses every change but a demote (409 AGENT_ERR_FENCED) while the fence record says fenced and the cluster is not
 * known to be demoted. Install after installEpochFence and before the routes: a stale caller hears it is stale first.
 */
export function installFenceGuard(app: FastifyInstance, keeper: FenceKeeper): void {
  const guard = (_request: FastifyRequest, _reply: FastifyReply, done: (err?: Error) => void) => {
    if (keeper.pending()) done(FenceErrors.fenced(keeper.refusal()))
    else done()
  }
  app.addHook('onRoute', (route: RouteOptions) => {
    const operationId = (route.schema as { operationId?: string } | undefined)?.operationId
    if (operationId === undefined || route.schema === undefined) return
    if (!FENCED_OPERATIONS.has(operationId) || SERVED_WHILE_FENCED.has(operationId)) return
    const response = (route.schema.response ?? {}) as Record<string, unknown>
    route.schema = { ...route.schema, response: { ...response, 409: with409(response[409] as ProblemResponse) } }
    route.preHandler = [...[route.preHandler ?? []].flat(), guard]
  })
}
