import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { bodyProblemResponses, problemResponse, problemResponses, vaultProblemResponses } from '../../problem.ts'
import { callEpoch } from '../epoch/epoch-fence.ts'
import type { OperationsInFlight } from '../operations-in-flight.ts'
import { PromoteRequest, PublicKeyResult, RoleChangeResult, UpdatePrimaryRequest } from './role-change.schemas.ts'
import type { RoleChangeService } from './role-change.service.ts'

const errors = { ...problemResponses, ...vaultProblemResponses }
const settleTimeout = problemResponse(
  'Vault did not answer in time (VAULT_ERR_TIMEOUT), or the cluster did not settle in its new role within VAULT_DR_WAIT_TIMEOUT_MS (AGENT_ERR_ROLE_CHANGE_TIMEOUT)',
)

/**
 * The role changes of a failover and failback. Both agents register them: the cluster next to each agent may be
 * either role after a swap.
 */
export const roleChangeRoutes: FastifyPluginAsyncZod<{
  service: RoleChangeService
  /** Called after the cluster's role changed, so cached views of it are asked again. */
  onRoleChange?: () => void
  /** What this agent has in flight on the cluster: a demote is refused while it is not empty. */
  /** A demote is refused while a mint, revocation or activation is in flight, and refuses them while it is. */
  inFlight?: OperationsInFlight
}> = async (app, { service, onRoleChange, inFlight }) => {
  const changing = async <T>(change: Promise<T>): Promise<T> => {
    try {
      return await change
    } finally {
      onRoleChange?.()
    }
  }
  app.post(
    '/dr/primary/demote',
    {
      schema: {
        operationId: 'demoteDrPrimary',
        tags: ['dr-roles'],
        summary: 'Demote this DR primary to a DR secondary that follows no primary (data kept)',
        description:
          'Calls sys/replication/dr/primary/demote, then waits until the cluster reports itself a DR secondary. ' +
          'A cluster that already is a DR secondary is left alone (changed: false). The cluster stops accepting ' +
          'writes: demote only as a step of a switchover, or to fence an old primary. Refused while this agent has a ' +
          'mint, a revocation or an activation in flight on the cluster (409 AGENT_ERR_OPERATION_IN_FLIGHT): the ' +
          'operation would be cut off half done; while it runs, those are refused the same way.',
        response: {
          200: RoleChangeResult,
          ...errors,
          409: problemResponse(
            'Not a DR primary (AGENT_ERR_NOT_DR_PRIMARY), or a mint, revocation, activation or role change asked for earlier is in flight on this agent (AGENT_ERR_OPERATION_IN_FLIGHT)',
          ),
          504: settleTimeout,
        },
      },
    },
    async (request) => {
      const demote = () => service.demote(callEpoch(request))
      return changing(inFlight === undefined ? demote() : inFlight.run('demote', demote))
    },
  )

  app.post(
    '/dr/secondary/promote',
    {
      schema: {
        operationId: 'promoteDrSecondary',
        tags: ['dr-roles'],
        summary: 'Promote this DR secondary to a DR primary that accepts writes',
        description:
          'Calls sys/replication/dr/secondary/promote with the DR operation token, then waits until the cluster ' +
          'is a running DR primary. Any other cluster is refused, a DR primary included (its replication cluster_id ' +
          'is in the detail: a caller resuming its own promote reads the status instead). Promoting while the old ' +
          'primary still accepts writes makes two primaries: demote or fence it first.',
        body: PromoteRequest,
        response: {
          200: RoleChangeResult,
          ...errors,
          ...bodyProblemResponses,
          403: problemResponse('Vault refused the DR operation token (AGENT_ERR_DR_OPERATION_TOKEN_REJECTED)'),
          409: problemResponse(
            'Not a DR secondary (AGENT_ERR_NOT_DR_SECONDARY), or a role change asked for earlier is still under way on this agent (AGENT_ERR_OPERATION_IN_FLIGHT: one a caller asks for at a time, not queued behind another)',
          ),
          503: problemResponse(
            'Still catching up with the primary (AGENT_ERR_CATCHING_UP; force: true promotes anyway), or Vault is not ready (VAULT_ERR_*)',
          ),
          504: settleTimeout,
        },
      },
    },
    async (request) => changing(service.promote(request.body, callEpoch(request))),
  )

  app.post(
    '/dr/secondary/update-primary',
    {
      schema: {
        operationId: 'updateDrPrimary',
        tags: ['dr-roles'],
        summary: 'Point this DR secondary at a (new) primary, without a wipe',
        description:
          'Calls sys/replication/dr/secondary/update-primary with the DR operation token and an activation token ' +
          'from the new primary (or update_primary_addrs to look for the same primary elsewhere), then waits until ' +
          'Vault answers again; poll getSecondaryStatus for stream-wals.',
        body: UpdatePrimaryRequest,
        response: {
          200: RoleChangeResult,
          ...errors,
          ...bodyProblemResponses,
          403: problemResponse('Vault refused the DR operation token (AGENT_ERR_DR_OPERATION_TOKEN_REJECTED)'),
          409: problemResponse(
            'Not a DR secondary (AGENT_ERR_NOT_DR_SECONDARY), or a role change asked for earlier is still under way on this agent (AGENT_ERR_OPERATION_IN_FLIGHT: one a caller asks for at a time, not queued behind another)',
          ),
          504: settleTimeout,
        },
      },
    },
    async (request) => changing(service.updatePrimary(request.body, callEpoch(request))),
  )

  app.post(
    '/dr/secondary/generate-public-key',
    {
      schema: {
        operationId: 'generateDrPublicKey',
        tags: ['dr-roles'],
        summary: "This DR secondary's public key, for an activation token only it can use",
        description:
          'Calls sys/replication/dr/secondary/generate-public-key. Give the key to createSecondaryToken ' +
          '(secondary_public_key) on the new primary: the token comes back unwrapped and update-primary needs no ' +
          "call to the primary's API.",
        response: {
          200: PublicKeyResult,
          ...errors,
          409: problemResponse(
            'Not a DR secondary (AGENT_ERR_NOT_DR_SECONDARY), or a role change asked for earlier is still under way on this agent (AGENT_ERR_OPERATION_IN_FLIGHT: one a caller asks for at a time, not queued behind another)',
          ),
        },
      },
    },
    async () => service.generatePublicKey(),
  )
}
