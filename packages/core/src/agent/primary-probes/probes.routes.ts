import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { bodyProblemResponses, problemResponses } from '../../problem.ts'
import { ProbePrimaryRequest, ProbePrimaryResult } from './probes.schemas.ts'
import type { ProbesService } from './probes.service.ts'

export const primaryProbeRoutes: FastifyPluginAsyncZod<{ service: ProbesService }> = async (app, { service }) => {
  app.post(
    '/probes/primary',
    {
      schema: {
        operationId: 'probePrimary',
        tags: ['probes'],
        summary: "Check from this network that the primary's API and cluster ports will carry activation",
        description:
          "Runs, in order, api_tcp, api_tls, activation_ca (https: whether the CA activation gives the secondary's " +
          'Vault, VAULT_DR_ACTIVATION_CA_FILE or else its system roots, verifies the certificate) and api_vault ' +
          'against api_addr (when given), then cluster_tcp, cluster_tls (ALPN ' +
          'replication_dr_v1, no client certificate) and cluster_fingerprint for each cluster address. Each check ' +
          'has a diagnosis code and a fix; ok is false when any check failed. Network outcomes are answers (200), ' +
          'not errors. Checks that depend on a failed one are left out.',
        body: ProbePrimaryRequest,
        response: { 200: ProbePrimaryResult, ...problemResponses, ...bodyProblemResponses },
      },
    },
    async (request) => service.probePrimary(request.body),
  )
}
