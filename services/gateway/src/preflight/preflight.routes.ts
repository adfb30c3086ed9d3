import { bodyProblemResponses, problemResponses } from '@vault-dr/core'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import type { AgentClients } from '../agents/agent-clients.ts'
import type { ClustersService } from '../clusters/clusters.service.ts'
import { GatewayErrors, sameClusterField } from '../gateway-errors.ts'
import type { Store } from '../store/store.ts'
import { PreflightBody, PreflightResult } from './preflight.schemas.ts'
import { runPreflight } from './preflight.service.ts'

export const preflightRoutes: FastifyPluginAsyncZod<{
  clusters: ClustersService
  agents: AgentClients
  store: Store
}> = async (app, { clusters, agents, store }) => {
  app.post(
    '/preflight',
    {
      // Changes nothing: the read-only token may ask it.
      config: { readsOnly: true },
      schema: {
        operationId: 'runPreflight',
        tags: ['handshakes'],
        summary: "Dry run: a handshake's preflight checks alone; changes nothing and creates no handshake",
        description:
          "Runs the checks of a handshake's first step and returns each with its status, code, detail and fix: both " +
          "agents and Vaults, each agent's Vault token (primary_vault_token, secondary_vault_token: valid, not about " +
          "to expire, every capability its part needs), roles, versions and the secondary id, the primary's " +
          "self-check, and the secondary's probes of the primary's API and cluster ports, including activation_ca " +
          "(whether the CA activation gives the secondary's Vault verifies the primary's API certificate). ok is " +
          'false when any check failed; skip_checks names checks that then never block.',
        body: PreflightBody,
        response: { 200: PreflightResult, ...problemResponses, ...bodyProblemResponses },
      },
    },
    async (request) => {
      const { primary, secondary, skip_checks: skip, allow_repoint: allowRepoint } = request.body
      const primaryClusterAddr = request.body.primary_cluster_addr
      const primaryApiAddr = request.body.primary_api_addr
      const secondaryId = request.body.secondary_id ?? secondary
      if (primary === secondary) {
        throw GatewayErrors.sameCluster(`body/secondary names ${primary}, the cluster body/primary names`, {
          cause: sameClusterField,
        })
      }
      const [p, s] = await Promise.all([clusters.resolve(primary, 'primary'), clusters.resolve(secondary, 'secondary')])
      const run = await runPreflight(agents.primary(clusters.targetOf(p)), agents.secondary(clusters.targetOf(s)), {
        skip,
        allowRepoint,
        primaryClusterAddr,
        primaryApiAddr,
        secondaryId,
        // No handshake of its own: every handshake of this gateway counts.
        idHistory: await store.secondaryIdHistory(primary, secondaryId, ''),
      })
      return { ok: run.ok, already_replicating: run.already_replicating, checks: run.checks }
    },
  )
}
