import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { bodyProblemResponses, problemResponse, problemResponses } from '../../problem.ts'
import { EPOCH_HEADER } from '../epoch/epoch-fence.ts'
import { ClearFenceResult, FenceRequest, FenceResult } from './fence.schemas.ts'
import type { FenceKeeper } from './fence-keeper.ts'

const epochOf = (headers: Record<string, unknown>) => Number(headers[EPOCH_HEADER])

/**
 * Fencing an old primary: the gateway tells the agent its cluster was failed away from (fenceCluster), and clears
 * the fence once the cluster rejoined as a DR secondary (clearFence). Both require x-vault-dr-epoch.
 */
export const fenceRoutes: FastifyPluginAsyncZod<{ keeper: FenceKeeper }> = async (app, { keeper }) => {
  app.post(
    '/dr/fence',
    {
      schema: {
        operationId: 'fenceCluster',
        tags: ['dr-roles'],
        summary: 'Fence this cluster: it was failed away from; demote it and refuse every other change',
        description:
          'Records the fence in VAULT_DR_AGENT_STATE_DIR/fence (fsync, rename) before acting, then demotes the ' +
          'cluster if it is a DR primary and waits for it to settle. When the demote fails (Vault sealed, ' +
          'unreachable, slow) the answer says demoted: false and why, and the agent retries the demote in the ' +
          'background with a bounded backoff, across its restarts too; until the cluster is a DR secondary it ' +
          'refuses every change but a demote with 409 AGENT_ERR_FENCED. Idempotent: a repeat keeps the first ' +
          'record and demotes again if needed. The status shows the record in fenced. Requires x-vault-dr-epoch.',
        body: FenceRequest,
        response: { 200: FenceResult, ...problemResponses, ...bodyProblemResponses },
      },
    },
    async (request) => keeper.fence(request.body, epochOf(request.headers)),
  )

  app.post(
    '/dr/fence/clear',
    {
      schema: {
        operationId: 'clearFence',
        tags: ['dr-roles'],
        summary: 'Clear the fence once the cluster rejoined as a DR secondary',
        description:
          'Removes the fence record. Refused while the cluster is a DR primary or not known to be demoted ' +
          '(409 AGENT_ERR_FENCE_NOT_DEMOTED): it would take writes beside the new primary. A cluster not fenced ' +
          'answers cleared: false. Requires x-vault-dr-epoch.',
        response: {
          200: ClearFenceResult,
          ...problemResponses,
          409: problemResponse('The cluster may still be a DR primary (AGENT_ERR_FENCE_NOT_DEMOTED)'),
        },
      },
    },
    async () => keeper.clear(),
  )
}
