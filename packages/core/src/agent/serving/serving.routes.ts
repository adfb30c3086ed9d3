import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { bodyProblemResponses, problemResponse, problemResponses } from '../../problem.ts'
import type { VaultAgent } from '../vault-agent.ts'
import { ConfirmServingRequest, Serving } from './serving.schemas.ts'
import { ServingErrors } from './serving-errors.ts'
import type { ServingGate } from './serving-gate.ts'

/** How far the confirmation's checked_at may be from this agent's clock. */
export const CONFIRM_FRESH_MS = 10_000

/** The load balancer's check (open, as /readyz) and the gateway's confirmation of the primary role (under /v1). */
export const servingCheckRoute: FastifyPluginAsyncZod<{ agent: VaultAgent; gate: ServingGate }> = async (
  app,
  { agent, gate },
) => {
  app.get(
    '/serving',
    {
      schema: {
        operationId: 'getServing',
        tags: ['monitoring'],
        summary: "Load balancers' check: 200 when clients may be sent to this cluster, 503 when not",
        description:
          "Point the load balancer (or DNS health check) in front of Vault's API at this, not at sys/health: 200 " +
          'only while Vault answers unsealed, is not a DR secondary, is not fenced and, as a DR primary with DR ' +
          'secondaries, its role is confirmed since this agent started and since its Vault last did not answer ' +
          'unsealed for longer than VAULT_DR_SERVING_RECONFIRM_AFTER (a DR secondary connected, a promote the agent ' +
          "saw, or the gateway's confirmServing). A lost site's old primary that comes back after a failover answers 503 " +
          'from its first answer until its agent has demoted it, so no client reaches it through the balancer. No ' +
          'token: balancers rarely send one. Reads the status shared with /v1/status (VAULT_DR_STATUS_CACHE_MS).',
        security: [],
        response: { 200: Serving, 503: Serving },
      },
    },
    async (_request, reply) => {
      const status = await agent.status()
      const view = gate.decide(status)
      return reply.status(view.serving ? 200 : 503).send(view)
    },
  )
}

export const servingConfirmRoute: FastifyPluginAsyncZod<{ agent: VaultAgent; gate: ServingGate }> = async (
  app,
  { agent, gate },
) => {
  app.post(
    '/dr/serving/confirm',
    {
      schema: {
        operationId: 'confirmServing',
        tags: ['dr-roles'],
        summary: "Confirm this DR primary's role from the gateway's store: it was not failed away from",
        description:
          'The gateway sends it at each pairs upkeep round for every primary its store does not hold fenced, so a ' +
          'primary whose agent restarted while no DR secondary was connected is served again (getServing). A ' +
          'fenced agent refuses it (409 AGENT_ERR_FENCED), as a stale epoch (409 AGENT_ERR_STALE_EPOCH) and a ' +
          'checked_at more than 10 s from the agent clock (409 AGENT_ERR_SERVING_CONFIRM_STALE). Confirms only a ' +
          'DR primary; answers what getServing would. Requires x-vault-dr-epoch.',
        body: ConfirmServingRequest,
        response: {
          200: Serving,
          ...problemResponses,
          ...bodyProblemResponses,
          409: problemResponse('checked_at too far from the agent clock (AGENT_ERR_SERVING_CONFIRM_STALE)'),
        },
      },
    },
    async (request) => {
      const skewMs = Math.abs(Date.now() - Date.parse(request.body.checked_at))
      if (skewMs > CONFIRM_FRESH_MS) {
        throw ServingErrors.confirmStale(
          `checked_at is ${Math.round(skewMs / 1000)} s from this agent's clock (at most ${CONFIRM_FRESH_MS / 1000} s).`,
        )
      }
      const status = await agent.status(0)
      if (status.replication?.mode === 'primary') gate.confirm('gateway')
      return gate.decide(status)
    },
  )
}
