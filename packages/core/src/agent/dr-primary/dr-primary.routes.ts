import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { bodyProblemResponses, problemResponse, problemResponses, vaultProblemResponses } from '../../problem.ts'
import type { VaultAgent } from '../vault-agent.ts'
import { EnablePrimaryBody, EnablePrimaryResult } from './dr-primary.schemas.ts'
import { enableDrPrimary } from './enable-primary.service.ts'

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
}
