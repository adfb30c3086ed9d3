import {
  bodyProblemResponses,
  problemResponse,
  problemResponses,
  type VaultAgent,
  vaultProblemResponses,
} from '@vault-dr/core'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import {
  CreateSecondaryTokenBody,
  EnablePrimaryBody,
  EnablePrimaryResult,
  RevokeSecondaryBody,
  RevokeSecondaryResult,
  SecondaryToken,
} from './dr-primary.schemas.ts'
import { enableDrPrimary } from './enable-primary.service.ts'
import { createSecondaryToken, MINT_RETRY_MAX_MS, revokeSecondary } from './secondary-token.service.ts'

const errors = { ...problemResponses, ...bodyProblemResponses, ...vaultProblemResponses }

export const drPrimaryRoutes: FastifyPluginAsyncZod<{
  agent: VaultAgent
  waitTimeoutMs: number
  /** Called after the cluster's role changed, so cached views of it are asked again. */
  onRoleChange: () => void
}> = async (app, { agent, waitTimeoutMs, onRoleChange }) => {
  app.post(
    '/dr/primary/enable',
    {
      schema: {
        operationId: 'enableDrPrimary',
        tags: ['dr-primary'],
        summary: 'Enable DR replication as primary (idempotent)',
        description:
          'On a cluster that already is a DR primary nothing changes (changed: false), unless another ' +
          'primary_cluster_addr than its current one is asked for (409). A DR secondary is refused. ' +
          'Waits, bounded by VAULT_DR_WAIT_TIMEOUT_MS, until the cluster is a running primary again.',
        body: EnablePrimaryBody,
        response: {
          200: EnablePrimaryResult,
          ...errors,
          409: problemResponse(
            'A DR secondary (PRIMARY_ERR_IS_DR_SECONDARY), or a DR primary with another primary_cluster_addr (PRIMARY_ERR_CLUSTER_ADDR_DIFFERS)',
          ),
          504: problemResponse(
            'Vault did not answer in time (VAULT_ERR_TIMEOUT), or was no running primary within VAULT_DR_WAIT_TIMEOUT_MS (PRIMARY_ERR_ENABLE_TIMEOUT)',
          ),
        },
      },
    },
    async (request) => {
      const result = await enableDrPrimary(agent, {
        primaryClusterAddr: request.body.primary_cluster_addr,
        waitTimeoutMs,
      })
      if (result.changed) onRoleChange()
      return result
    },
  )

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
          'did happen behind a 503 then answers 409 PRIMARY_ERR_SECONDARY_EXISTS.',
        body: CreateSecondaryTokenBody,
        response: {
          201: SecondaryToken,
          ...errors,
          409: problemResponse(
            'Not a DR primary (PRIMARY_ERR_NOT_PRIMARY), or the id is taken (PRIMARY_ERR_SECONDARY_EXISTS)',
          ),
        },
      },
    },
    async (request, reply) => {
      const minted = await createSecondaryToken(agent, request.body.secondary_id, request.body.ttl, {
        retryUnavailableMs: Math.min(MINT_RETRY_MAX_MS, waitTimeoutMs),
        secondaryPublicKey: request.body.secondary_public_key,
      })
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
            'Not a DR primary (PRIMARY_ERR_NOT_PRIMARY), or a secondary is connected with the id and force is not set (PRIMARY_ERR_SECONDARY_CONNECTED)',
          ),
        },
      },
    },
    async (request) => revokeSecondary(agent, request.body.secondary_id, { force: request.body.force === true }),
  )
}
