import { bodyProblemResponses, problemResponse, problemResponses } from '@vault-dr/core'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { IdempotencyHeaders } from '../handshakes/handshakes.schemas.ts'
import { Operation } from '../operations/operations.schemas.ts'
import type { FailoverDeps } from './failover-deps.ts'
import { FailoverPlan, PlanFailoverBody } from './failovers.schemas.ts'
import { createFailoversService } from './failovers.service.ts'
import { CreateFailoverBody, CreateRejoinBody } from './failovers-subject.ts'

const pairNotFound = problemResponse('No pair has this secondary (GATEWAY_ERR_PAIR_NOT_FOUND)')
const keyReused = problemResponse('The Idempotency-Key was used with another body (GATEWAY_ERR_IDEMPOTENCY_KEY_REUSED)')

const FAILOVER_STEPS =
  'Steps: preflight (the guard again), promote_secondary (with the kept DR operation token, else the last key-share ' +
  'ceremony token; the role epoch is raised first), fence_old_primary (recorded in the store: the gateway demotes ' +
  'it as soon as its agent answers again), verify_new_primary (it runs and accepts a write), update_primary:<cluster> ' +
  '(one per other DR secondary of the old primary), new_dr_operation_token (issued by the new primary), ' +
  'record_pairs. Before promote_secondary a cancellation stops it with nothing changed; from it on, it runs to its end.'

export const failoversRoutes: FastifyPluginAsyncZod<{ deps: FailoverDeps }> = async (app, { deps }) => {
  const service = createFailoversService(deps)
  app.post(
    '/failovers/plan',
    {
      // Changes nothing: the read-only token may ask it.
      config: { readsOnly: true },
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
    async (request) => deps.planner(request.body, AbortSignal.timeout(30_000)),
  )

  app.post(
    '/failovers',
    {
      schema: {
        operationId: 'createFailover',
        tags: ['failovers'],
        summary: "Fail over to a DR secondary when its primary's site is lost",
        description:
          'Refused (409 GATEWAY_ERR_FAILOVER_REFUSED, with what planFailover found) unless the primary is unreachable ' +
          'from at least two vantage points for longer than down_for, or its agent reports Vault sealed or gone; a ' +
          'reachable, healthy primary is refused with "use a switchover"; an estimated loss that is unknown or above ' +
          'zero is refused unless allow_data_loss; another DR secondary older than the secondary (it could not follow it) is ' +
          'refused (VERSION_SKEW). Otherwise answers 202 with the operation (Location: ' +
          `/v1/operations/{id}), run durably in the background. ${FAILOVER_STEPS} With an Idempotency-Key, the same key ` +
          'and body give the same operation (200), another body 422.',
        headers: IdempotencyHeaders,
        body: CreateFailoverBody,
        response: {
          200: Operation,
          202: Operation,
          404: pairNotFound,
          409: problemResponse(
            'Refused by the guard (GATEWAY_ERR_FAILOVER_REFUSED), or a cluster is held by another operation (GATEWAY_ERR_CLUSTER_BUSY)',
          ),
          422: keyReused,
          ...problemResponses,
          ...bodyProblemResponses,
        },
      },
    },
    async (request, reply) => {
      const { created, operation } = await service.createFailover(
        request.body,
        request.headers['idempotency-key'],
        AbortSignal.timeout(30_000),
      )
      return reply
        .status(created ? 202 : 200)
        .header('location', `/v1/operations/${operation.id}`)
        .send(deps.operations.viewOf(operation))
    },
  )

  app.post(
    '/rejoins',
    {
      schema: {
        operationId: 'createRejoin',
        tags: ['failovers'],
        summary:
          'Make a fenced old primary, or a cluster a failed role change left behind, a DR secondary of the new primary, without a wipe',
        description:
          'Waits until the old primary answers and has been demoted (the gateway demotes a fenced cluster as soon ' +
          'as its agent answers; the new primary issues a DR operation token then if none kept is valid for long), ' +
          'then: a public key from it, a token minted for it on the new primary, update-primary ' +
          'on it with the DR operation token, and its fence lifted once it streams. The result names the WALs it had ' +
          'written that the new primary never received (lost). Steps: preflight, rejoin_old_primary, end_fence. A ' +
          'failback is then an ordinary switchover. A cluster no failover fenced is rejoined when the newest ' +
          'operation on it (a switchover, drill, failover or rejoin) failed or was cancelled after promoting a primary ' +
          'the cluster was to follow (an old primary demoted and not re-pointed, a follower not re-pointed): the same ' +
          're-pointing to that primary, once it runs as DR primary and the cluster is a DR secondary of its replication ' +
          'set; steps: preflight, rejoin_old_primary, record_pair. Answers 202 with the operation (Location: ' +
          '/v1/operations/{id}).',
        headers: IdempotencyHeaders,
        body: CreateRejoinBody,
        response: {
          200: Operation,
          202: Operation,
          409: problemResponse(
            'No failover fenced this cluster and no failed operation left it behind (GATEWAY_ERR_REJOIN_NOT_FENCED), its fence entry cannot be read (GATEWAY_ERR_FENCE_UNREADABLE: damaged, or written by a newer gateway), or a cluster is held by another operation (GATEWAY_ERR_CLUSTER_BUSY)',
          ),
          422: keyReused,
          ...problemResponses,
          ...bodyProblemResponses,
        },
      },
    },
    async (request, reply) => {
      const { created, operation } = await service.createRejoin(request.body, request.headers['idempotency-key'])
      return reply
        .status(created ? 202 : 200)
        .header('location', `/v1/operations/${operation.id}`)
        .send(deps.operations.viewOf(operation))
    },
  )
}
