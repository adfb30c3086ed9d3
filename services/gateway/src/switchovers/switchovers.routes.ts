import { bodyProblemResponses, problemResponse, problemResponses } from '@vault-dr/core'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { IdempotencyHeaders } from '../handshakes/handshakes.schemas.ts'
import { Operation } from '../operations/operations.schemas.ts'
import { type KindDeps, switchoverDepsOf } from './switchover-deps-of.ts'
import { CreateSwitchoverBody, SwitchoverPlan } from './switchovers.schemas.ts'
import { createSwitchoversService } from './switchovers.service.ts'

const STEPS_DOC =
  'Steps: preflight, pre_hook (with pre_hook_url), demote_primary, wait_catch_up, promote_secondary, ' +
  'verify_new_primary, rejoin_old_primary, update_primary:<cluster> (one per other DR secondary), verify_pairs, ' +
  'new_dr_operation_token, post_hook (with post_hook_url). The result (result of the operation) names ' +
  'write_unavailable_ms (from the demote to the new primary accepting writes) and wals_lost (0).'

const planErrors = {
  409: problemResponse(
    'The clusters are not a running DR primary and its secondary (GATEWAY_ERR_SWITCHOVER_NOT_A_PAIR), or a check failed (GATEWAY_ERR_SWITCHOVER_PREFLIGHT_FAILED), or a cluster is held by another operation (GATEWAY_ERR_CLUSTER_BUSY)',
  ),
}

export const switchoversRoutes: FastifyPluginAsyncZod<{ deps: KindDeps }> = async (app, { deps }) => {
  const switchovers = createSwitchoversService(switchoverDepsOf(deps))
  app.post(
    '/switchovers/plan',
    {
      // Changes nothing: the read-only token may ask it.
      config: { readsOnly: true },
      schema: {
        operationId: 'planSwitchover',
        tags: ['operations'],
        summary: 'Dry run of a switchover: the checks, the steps and what each would do; nothing changes',
        description: `Reads both clusters and every other registered cluster now and answers what createSwitchover with the same body would do. ${STEPS_DOC}`,
        body: CreateSwitchoverBody,
        response: {
          200: SwitchoverPlan,
          ...problemResponses,
          ...bodyProblemResponses,
          409: problemResponse(
            'No registered cluster is the running DR primary of `to` (GATEWAY_ERR_SWITCHOVER_NOT_A_PAIR; GATEWAY_ERR_FENCE_UNREADABLE when `to` has a fence entry no gateway can read), or a cluster it would change is held by another operation (GATEWAY_ERR_CLUSTER_BUSY): createSwitchover would be refused',
          ),
        },
      },
    },
    async (request) => switchovers.plan(request.body),
  )

  app.post(
    '/switchovers',
    {
      schema: {
        operationId: 'createSwitchover',
        tags: ['operations'],
        summary: 'Switch the DR primary role to a secondary, with no data lost; the old primary follows it',
        description:
          'Answers 202 at once with the operation (Location: /v1/operations/{id}); it runs in the background, ' +
          `durably: a gateway restart resumes it. ${STEPS_DOC} A cancellation (cancelOperation) before the demote ` +
          'stops it with nothing changed; after it, the switchover runs on to a safe end and says so. If the secondary ' +
          'does not catch up within catch_up_timeout, the old primary is promoted back and the operation fails, ' +
          'nothing lost. With an Idempotency-Key, the same key and body give the same operation (200), another body 422.',
        headers: IdempotencyHeaders,
        body: CreateSwitchoverBody,
        response: {
          200: Operation,
          202: Operation,
          ...problemResponses,
          ...bodyProblemResponses,
          ...planErrors,
          422: problemResponse('The Idempotency-Key was used with another body (GATEWAY_ERR_IDEMPOTENCY_KEY_REUSED)'),
        },
      },
    },
    async (request, reply) => {
      const { created, operation } = await switchovers.create(request.body, request.headers['idempotency-key'])
      return reply
        .status(created ? 202 : 200)
        .header('location', `/v1/operations/${operation.id}`)
        .send(deps.operations.viewOf(operation))
    },
  )
}
