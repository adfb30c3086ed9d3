import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { bodyProblemResponses, problemResponse, problemResponses, vaultProblemResponses } from '../../problem.ts'
import type { OperationsInFlight } from '../operations-in-flight.ts'
import {
  ActivateSecondaryRequest,
  ActivationParams,
  ActivationResult,
  ActivationState,
} from './dr-secondary.schemas.ts'
import type { DrSecondaryService } from './dr-secondary.service.ts'

export const drSecondaryRoutes: FastifyPluginAsyncZod<{
  service: DrSecondaryService
  /** Counts activations while they run (a demote is refused meanwhile). */
  inFlight?: OperationsInFlight
}> = async (app, { service, inFlight }) => {
  app.post(
    '/dr/secondary/activate',
    {
      schema: {
        operationId: 'activateDrSecondary',
        tags: ['dr-secondary'],
        summary: 'Activate this cluster as a DR secondary (wipes its data)',
        description:
          'Calls sys/replication/dr/secondary/enable after the guard rails: confirm_wipe must be true, and the ' +
          "cluster must be unsealed and neither a DR primary nor already a secondary. Vault's failures come back " +
          "as coded problems with a cause and a fix, Vault's own answer in upstream (token scrubbed). Answers when " +
          'Vault accepted; poll getSecondaryStatus for stream-wals.',
        body: ActivateSecondaryRequest,
        response: {
          200: ActivationResult,
          ...problemResponses,
          ...bodyProblemResponses,
          ...vaultProblemResponses,
          400: problemResponse(
            'Invalid input naming each field (CORE_ERR_VALIDATION), wipe not confirmed, no primary address, or a token or ca_file Vault refused (SECONDARY_ERR_*)',
          ),
          409: problemResponse(
            'Already a DR secondary, or a DR primary, or an activation or a demote is in flight (SECONDARY_ERR_ALREADY_SECONDARY, _IS_PRIMARY, _ACTIVATION_IN_PROGRESS, AGENT_ERR_OPERATION_IN_FLIGHT)',
          ),
          502: problemResponse(
            "This cluster's Vault could not be asked (VAULT_ERR_*), or could not reach, trust or bootstrap from the primary (SECONDARY_ERR_PRIMARY_API_*, _CLUSTER_PORT, _ACTIVATION_FAILED)",
          ),
          503: problemResponse(
            'This cluster is sealed (SECONDARY_ERR_SEALED) or Vault is not ready (VAULT_ERR_NOT_READY)',
          ),
        },
      },
    },
    async (request) => {
      const activate = () => service.activate(request.body, request.log)
      return inFlight ? inFlight.run('activation', activate) : activate()
    },
  )

  app.get(
    '/dr/secondary/activations/:activation_id',
    {
      schema: {
        operationId: 'getActivation',
        tags: ['dr-secondary'],
        summary: 'How an activation sent to this agent stands: in flight, succeeded, failed, or unknown',
        description:
          'For a caller that lost the answer of activateDrSecondary (it restarted, or the connection dropped): Vault ' +
          'carries on, and while it unwraps on the primary and dials its cluster port the DR status still says ' +
          'disabled. State unknown means this agent process never received it; agent_started_at says whether it could ' +
          "have (an activation sent to an earlier process is known only from the cluster's status).",
        params: ActivationParams,
        response: { 200: ActivationState, ...problemResponses },
      },
    },
    async (request) => service.activation(request.params.activation_id),
  )
}
