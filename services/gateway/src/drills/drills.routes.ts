import { bodyProblemResponses, problemResponse, problemResponses } from '@vault-dr/core'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { IdempotencyHeaders } from '../handshakes/handshakes.schemas.ts'
import { Operation } from '../operations/operations.schemas.ts'
import { type KindDeps, switchoverDepsOf } from '../switchovers/switchover-deps-of.ts'
import { CreateDrillBody, DrillPlan } from './drills.schemas.ts'
import { createDrillsService } from './drills.service.ts'

export const drillsRoutes: FastifyPluginAsyncZod<{ deps: KindDeps }> = async (app, { deps }) => {
  const drills = createDrillsService(switchoverDepsOf(deps))
  app.post(
    '/drills/plan',
    {
      // Changes nothing: the read-only token may ask it.
      config: { readsOnly: true },
      schema: {
        operationId: 'planDrill',
        tags: ['operations'],
        summary:
          'Dry run of a drill: the checks, the steps of both legs and the hold, and what each would do; nothing changes',
        description:
          'Reads both clusters and every other registered cluster now and answers what createDrill with the same body ' +
          'would do: the same checks as its preflight (the way back included), its steps in order and the plan in words.',
        body: CreateDrillBody,
        response: {
          200: DrillPlan,
          ...problemResponses,
          ...bodyProblemResponses,
          409: problemResponse(
            'No registered cluster is the running DR primary of `to` (GATEWAY_ERR_SWITCHOVER_NOT_A_PAIR; GATEWAY_ERR_FENCE_UNREADABLE when `to` has a fence entry no gateway can read), or a cluster it would change is held by another operation (GATEWAY_ERR_CLUSTER_BUSY): createDrill would be refused',
          ),
        },
      },
    },
    async (request) => drills.plan(request.body),
  )
  app.post(
    '/drills',
    {
      schema: {
        operationId: 'createDrill',
        tags: ['operations'],
        summary: 'Run a DR drill: switch over to a secondary, hold, switch back, and report RTO and RPO',
        description:
          'Answers 202 at once with the operation (Location: /v1/operations/{id}); it runs in the background, ' +
          'durably. Steps: preflight, pre_hook, out.* (a switchover to `to`: demote_primary, wait_catch_up, ' +
          'promote_secondary, verify_new_primary, rejoin_old_primary, update_primary:<cluster>, verify_pairs, ' +
          'new_dr_operation_token), hold (the new primary is checked to accept writes every check_interval), back.* ' +
          "(the same steps the other way), post_hook. The result holds report: each leg's RTO (rto_ms, the " +
          "write-unavailable window) and RPO (rpo_wals, WALs lost: 0), the hold's checks, the warnings and the " +
          'times. A cancellation before the first demote stops it with nothing changed; after it, the hold is cut ' +
          'short and the drill switches back. With an Idempotency-Key, the same key and body give the same drill (200).',
        headers: IdempotencyHeaders,
        body: CreateDrillBody,
        response: {
          200: Operation,
          202: Operation,
          ...problemResponses,
          ...bodyProblemResponses,
          409: problemResponse(
            'The clusters are not a running DR primary and its secondary (GATEWAY_ERR_SWITCHOVER_NOT_A_PAIR), a check failed (GATEWAY_ERR_SWITCHOVER_PREFLIGHT_FAILED), or a cluster is held by another operation (GATEWAY_ERR_CLUSTER_BUSY)',
          ),
          422: problemResponse('The Idempotency-Key was used with another body (GATEWAY_ERR_IDEMPOTENCY_KEY_REUSED)'),
        },
      },
    },
    async (request, reply) => {
      const { created, operation } = await drills.create(request.body, request.headers['idempotency-key'])
      return reply
        .status(created ? 202 : 200)
        .header('location', `/v1/operations/${operation.id}`)
        .send(deps.operations.viewOf(operation))
    },
  )
}
