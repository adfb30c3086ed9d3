import { bodyProblemResponses, problemResponse, problemResponses } from '@vault-dr/core'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import type { FailoverPlanner } from './failover-planner.ts'
import { FailoverPlan, PlanFailoverBody } from './failovers.schemas.ts'

const pairNotFound = problemResponse('No pair has this secondary (GATEWAY_ERR_PAIR_NOT_FOUND)')

export const failoversRoutes: FastifyPluginAsyncZod<{ planner: FailoverPlanner }> = async (app, { planner }) => {
  app.post(
    '/failovers/plan',
    {
      schema: {
        operationId: 'planFailover',
        tags: ['failovers'],
        summary: 'Dry run of a failover to a secondary: who cannot reach the primary, what would be lost, what is done',
        description:
          'Changes nothing. Looks at the primary from every vantage point (the gateway to the primary agent, the ' +
          "primary agent to its Vault, the secondary agent probing the primary's API and cluster ports from the DR " +
          "site, the secondary Vault's own stream and heartbeat) with since when each sees it so; estimates the data " +
          "loss (the primary's last WAL as this gateway last read it against the secondary's last received WAL, and " +
          'how old that comparison is); names the DR operation token it would use and its time left, the fencing and ' +
          'rejoin plan, the other secondaries that would follow, and the steps. allowed says whether createFailover ' +
          'with the same body would start now; refusal says why not, with a fix.',
        body: PlanFailoverBody,
        response: { 200: FailoverPlan, 404: pairNotFound, ...problemResponses, ...bodyProblemResponses },
      },
    },
    async (request) => planner(request.body, AbortSignal.timeout(30_000)),
  )
}
