import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { bodyProblemResponses, problemResponse, problemResponses, vaultProblemResponses } from '../../problem.ts'
import type { OperationsInFlight } from '../operations-in-flight.ts'
import type { VaultAgent } from '../vault-agent.ts'
import {
  CreateSecondaryTokenBody,
  RevokeSecondaryBody,
  RevokeSecondaryResult,
  SecondaryToken,
} from './secondary-token.schemas.ts'
import { createSecondaryToken, MINT_RETRY_MAX_MS, revokeSecondary } from './secondary-token.service.ts'

const errors = { ...problemResponses, ...bodyProblemResponses, ...vaultProblemResponses }

/** Mint and revoke secondary activation tokens: both agents serve them, as either cluster may be the primary. */
export const secondaryTokenRoutes: FastifyPluginAsyncZod<{
  agent: VaultAgent
  waitTimeoutMs: number
  /** Counts mints and revocations while they run (a demote is refused meanwhile). */
  inFlight?: OperationsInFlight
}> = async (app, { agent, waitTimeoutMs, inFlight }) => {
  const track = <T>(kind: 'mint' | 'revoke', work: () => Promise<T>) => (inFlight ? inFlight.run(kind, work) : work())
  app.post(
    '/dr/primary/secondary-token',
    {
      schema: {
        operationId: 'createSecondaryToken',
        tags: ['dr-primary'],
        summary: 'Mint a single-use activation token for one secondary',
        description:
          'Returns the wrapped activation token once, with its non-secret claims. The agent neither logs nor keeps it. ' +
          'When Vault answers 412 (required index state not present) or 503 (briefly unavailable after a role change), ' +
          'the mint is sent again with backoff for up to 5 s (or VAULT_DR_WAIT_TIMEOUT_MS when shorter); a mint that ' +
          'did happen behind a 503 then answers 409 PRIMARY_ERR_SECONDARY_EXISTS. A secondary_public_key Vault refuses ' +
          'answers 400 CORE_ERR_VALIDATION naming it.',
        body: CreateSecondaryTokenBody,
        response: {
          201: SecondaryToken,
          ...errors,
          409: problemResponse(
            'Not a DR primary (PRIMARY_ERR_NOT_PRIMARY), the id is taken (PRIMARY_ERR_SECONDARY_EXISTS), or a demote is in flight on this agent (AGENT_ERR_OPERATION_IN_FLIGHT)',
          ),
        },
      },
    },
    async (request, reply) => {
      const minted = await track('mint', () =>
        createSecondaryToken(agent, request.body.secondary_id, request.body.ttl, {
          retryUnavailableMs: Math.min(MINT_RETRY_MAX_MS, waitTimeoutMs),
          secondaryPublicKey: request.body.secondary_public_key,
        }),
      )
      return reply.status(201).header('cache-control', 'no-store').send(minted)
    },
  )

  app.post(
    '/dr/primary/revoke-secondary',
    {
      schema: {
        operationId: 'revokeSecondary',
        tags: ['dr-primary'],
        summary: 'Revoke a secondary id (idempotent)',
        description:
          'Disconnects the secondary and voids its activation token, used or not. An id a secondary is connected ' +
          'with (read from Vault just before) is refused unless force is true.',
        body: RevokeSecondaryBody,
        response: {
          200: RevokeSecondaryResult,
          ...errors,
          409: problemResponse(
            'Not a DR primary (PRIMARY_ERR_NOT_PRIMARY), a secondary is connected with the id and force is not set (PRIMARY_ERR_SECONDARY_CONNECTED), or a demote is in flight on this agent (AGENT_ERR_OPERATION_IN_FLIGHT)',
          ),
        },
      },
    },
    async (request) =>
      track('revoke', () => revokeSecondary(agent, request.body.secondary_id, { force: request.body.force === true })),
  )
}
