import { Problem, problemResponses, type VaultAgent } from '@vault-dr/core'
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
import { createSecondaryToken, revokeSecondary } from './secondary-token.service.ts'

const upstreamErrors = { 409: Problem, 502: Problem, 503: Problem, 504: Problem }

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
          'On a cluster that already is a DR primary nothing changes (changed: false). A DR secondary is refused. ' +
          'Waits, bounded by VAULT_DR_WAIT_TIMEOUT_MS, until the cluster is a running primary again.',
        body: EnablePrimaryBody,
        response: { 200: EnablePrimaryResult, ...problemResponses, ...upstreamErrors },
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
          'Returns the wrapped activation token once, with its non-secret claims. The agent neither logs nor keeps it.',
        body: CreateSecondaryTokenBody,
        response: { 201: SecondaryToken, ...problemResponses, ...upstreamErrors },
      },
    },
    async (request, reply) => {
      const minted = await createSecondaryToken(agent, request.body.secondary_id, request.body.ttl)
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
        description: 'Disconnects the secondary and voids its activation token, used or not.',
        body: RevokeSecondaryBody,
        response: { 200: RevokeSecondaryResult, ...problemResponses, ...upstreamErrors },
      },
    },
    async (request) => revokeSecondary(agent, request.body.secondary_id),
  )
}
