import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { problemResponse, problemResponses } from '../../problem.ts'
import { LocalProbeResult } from './local-probe.schemas.ts'

export const localProbeRoutes: FastifyPluginAsyncZod<{ localProbe: () => Promise<LocalProbeResult> }> = async (
  app,
  { localProbe },
) => {
  app.post(
    '/probes/local',
    {
      schema: {
        operationId: 'probeLocalCluster',
        tags: ['probes'],
        summary: "Self-check of the local cluster's API and cluster listeners",
        description:
          'Reports whether both listeners answer, whether the cluster listener negotiates replication_dr_v1, the ' +
          "SHA-256 fingerprint of its certificate (to compare with what the secondary sees), and Vault's advertised addresses.",
        response: {
          200: LocalProbeResult,
          ...problemResponses,
          502: problemResponse('Vault failed (VAULT_ERR_*); an unreachable listener is a diagnosis in the 200 answer'),
        },
      },
    },
    async () => localProbe(),
  )
}
