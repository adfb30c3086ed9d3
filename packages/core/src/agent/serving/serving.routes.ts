import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { bodyProblemResponses, problemResponse, problemResponses } from '../../problem.ts'
import { EpochErrors } from '../epoch/epoch-errors.ts'
import { EPOCH_HEADER } from '../epoch/epoch-fence.ts'
import type { VaultAgent } from '../vault-agent.ts'
import { ConfirmServingRequest, Serving } from './serving.schemas.ts'
import { ServingErrors } from './serving-errors.ts'
import type { ServingGate } from './serving-gate.ts'

/** How far the confirmation's checked_at may be from this agent's clock. */
export const CONFIRM_FRESH_MS = 10_000

function refuseStale(checkedAt: string): void {
  const skewMs = Math.abs(Date.now() - Date.parse(checkedAt))
  if (skewMs > CONFIRM_FRESH_MS) {
    throw ServingErrors.confirmStale(
      `checked_at is ${Math.round(skewMs / 1000)} s from this agent's clock (at most ${CONFIRM_FRESH_MS / 1000} s).`,
    )
  }
}

const episodeChanged = () =>
  ServingErrors.episodeChanged(
    "This agent's serving episode changed since the caller read getServing: its Vault was away, sealed or slow, or the agent restarted.",
  )

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
          'unsealed for longer than VAULT_DR_SERVING_RECONFIRM_AFTER (every DR secondary it knows connected, a promote the agent ' +
          "saw, or the gateway's confirmServing). A lost site's old primary that comes back after a failover answers 503 " +
          'from its first answer until its agent has demoted it, so no client reaches it through the balancer. No ' +
          'token: balancers rarely send one. Reads the status shared with /v1/status (VAULT_DR_STATUS_CACHE_MS). ' +
          'Its episode is what confirmServing echoes.',
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

export const servingConfirmRoute: FastifyPluginAsyncZod<{
  agent: VaultAgent
  gate: ServingGate
  /** The highest fencing epoch this agent has seen. */
  epoch: () => number
}> = async (app, { agent, gate, epoch }) => {
  app.post(
    '/dr/serving/confirm',
    {
      schema: {
        operationId: 'confirmServing',
        tags: ['dr-roles'],
        summary: "Confirm this DR primary's role from the gateway's store: it was not failed away from",
        description:
          'The gateway sends it at each pairs upkeep round for every primary getServing answers unconfirmed and ' +
          'its store neither holds fenced nor holds in an unfinished operation, so a primary whose agent restarted ' +
          'while no DR secondary was connected is served again (getServing). The body echoes the episode getServing ' +
          'answered before the store was read. A fenced agent refuses it (409 AGENT_ERR_FENCED), as a stale epoch, ' +
          'also one seen while it read its Vault (409 AGENT_ERR_STALE_EPOCH), a checked_at more than 10 s from the ' +
          'agent clock, before or after that read (409 AGENT_ERR_SERVING_CONFIRM_STALE), and an episode that is not ' +
          "the agent's, before or after that read (409 AGENT_ERR_SERVING_EPISODE_CHANGED). Confirms only a DR " +
          'primary; answers what getServing would. Requires x-vault-dr-epoch.',
        body: ConfirmServingRequest,
        response: {
          200: Serving,
          ...problemResponses,
          ...bodyProblemResponses,
          409: problemResponse(
            'checked_at too far from the agent clock (AGENT_ERR_SERVING_CONFIRM_STALE); or the episode changed since ' +
              'the caller read getServing (AGENT_ERR_SERVING_EPISODE_CHANGED)',
          ),
        },
      },
    },
    async (request) => {
      const { checked_at, episode } = request.body
      refuseStale(checked_at)
      if (episode !== gate.episode()) throw episodeChanged()
      const status = await agent.status(0)
      // The read may have waited on Vault for long: everything checked before it is checked again after it.
      refuseStale(checked_at)
      const sent = Number(request.headers[EPOCH_HEADER])
      if (epoch() > sent) {
        throw EpochErrors.stale(`The call carries epoch ${sent}; this agent has seen epoch ${epoch()} meanwhile.`)
      }
      if (status.replication?.mode === 'primary' && !gate.confirm('gateway', episode)) throw episodeChanged()
      return gate.decide(status)
    },
  )
}
