import { bodyProblemResponses, problemResponse, problemResponses } from '@vault-dr/core'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import {
  Cluster,
  ClusterList,
  ClusterParams,
  ClusterView,
  DeleteClusterQuery,
  LiveQuery,
  RegisterClusterBody,
} from './clusters.schemas.ts'
import type { ClustersService } from './clusters.service.ts'

const clusterNotFound = problemResponse('No cluster of this name is registered (GATEWAY_ERR_CLUSTER_NOT_FOUND)')
const inUseOrFenced = problemResponse(
  'An unfinished handshake or other operation uses the cluster (GATEWAY_ERR_CLUSTER_IN_USE), or a failover fenced ' +
    'it and it has not been demoted yet (GATEWAY_ERR_CLUSTER_FENCED)',
)
const inUseOrAgentTaken = problemResponse(
  'An unfinished handshake or other operation uses the cluster (GATEWAY_ERR_CLUSTER_IN_USE), or another registered ' +
    'cluster has this agent_url (GATEWAY_ERR_AGENT_URL_IN_USE)',
)

export const clustersRoutes: FastifyPluginAsyncZod<{ clusters: ClustersService }> = async (app, { clusters }) => {
  app.post(
    '/clusters',
    {
      schema: {
        operationId: 'registerCluster',
        tags: ['clusters'],
        summary: 'Register a cluster and its agent (replaces one of the same name)',
        description:
          'The agent token is stored encrypted (AES-256-GCM) and is never returned or logged. 201 when the name is ' +
          'new, 200 when it replaced a registration. While an unfinished handshake or other operation uses the cluster, its agent_url ' +
          'and agent_token may be replaced but not its role (409 GATEWAY_ERR_CLUSTER_IN_USE). An agent serves one cluster: ' +
          'an agent_url another registered cluster has is refused (409 GATEWAY_ERR_AGENT_URL_IN_USE).',
        body: RegisterClusterBody,
        response: { 200: Cluster, 201: Cluster, 409: inUseOrAgentTaken, ...problemResponses, ...bodyProblemResponses },
      },
    },
    async (request, reply) => {
      const { created, cluster } = await clusters.register(request.body)
      return reply
        .status(created ? 201 : 200)
        .header('location', `/v1/clusters/${cluster.name}`)
        .send(cluster)
    },
  )

  app.get(
    '/clusters',
    {
      schema: {
        operationId: 'listClusters',
        tags: ['clusters'],
        summary: 'The fleet: every registered cluster with its live status',
        description:
          'Asks every agent concurrently, each within VAULT_DR_FLEET_TIMEOUT_MS; an agent that does not answer is ' +
          'reported as reachable: false with the reason, never as a failure of this call.',
        querystring: LiveQuery,
        response: { 200: ClusterList, ...problemResponses },
      },
    },
    async (request) => ({ clusters: await clusters.list(request.query.live) }),
  )

  app.get(
    '/clusters/:name',
    {
      schema: {
        operationId: 'getCluster',
        tags: ['clusters'],
        summary: 'One cluster with its live status',
        description:
          "The cluster's registration (never its agent token) and, unless live=false, its agent's status of the " +
          'cluster: Vault reachable, sealed, version and DR replication state. An agent that cannot answer is shown ' +
          'in agent.error with its code and fix, in a 200.',
        params: ClusterParams,
        querystring: LiveQuery,
        response: { 200: ClusterView, 404: clusterNotFound, ...problemResponses },
      },
    },
    async (request) => clusters.get(request.params.name, request.query.live),
  )

  app.delete(
    '/clusters/:name',
    {
      schema: {
        operationId: 'deleteCluster',
        tags: ['clusters'],
        summary: 'Forget a cluster (refused while an unfinished handshake or other operation uses it)',
        description:
          'Removes the registration and its sealed agent token from the store; the cluster itself and its DR ' +
          'replication are not touched. Refused (409) while a pending or running handshake or operation names the ' +
          'cluster, and while a failover fenced it and it has not been demoted yet (deregistered, no gateway would ' +
          'demote it when its site returns), unless site_lost says its site is gone for good.',
        params: ClusterParams,
        querystring: DeleteClusterQuery,
        response: {
          204: z.null().describe('Deleted'),
          404: clusterNotFound,
          409: inUseOrFenced,
          ...problemResponses,
        },
      },
    },
    async (request, reply) => {
      const fence = await clusters.remove(request.params.name, { siteLost: request.query.site_lost })
      if (fence !== undefined) {
        request.log.warn(
          { cluster: request.params.name, failover_id: fence.failover_id },
          'a fenced cluster not demoted yet was deregistered as its site is lost for good: should its Vault come back, no gateway demotes it',
        )
      }
      return reply.status(204).send(null)
    },
  )
}
