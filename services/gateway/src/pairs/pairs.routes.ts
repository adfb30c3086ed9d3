import { bodyProblemResponses, digitsOnlyQuery, problemResponse, problemResponses } from '@vault-dr/core'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { agentProblemResponses } from '../agents/agent-problem-responses.ts'
import { AutoFailoverBody } from './pair-auto-failover.ts'
import {
  AutoFailoverView,
  Pair,
  PairList,
  PairParams,
  PairReadiness,
  ReadinessQuery,
  RotateResult,
} from './pairs.schemas.ts'
import type { PairsService } from './pairs.service.ts'

const pairNotFound = problemResponse('No pair has this secondary (GATEWAY_ERR_PAIR_NOT_FOUND)')

export const pairsRoutes: FastifyPluginAsyncZod<{ pairs: PairsService }> = async (app, { pairs }) => {
  app.get(
    '/pairs',
    {
      schema: {
        operationId: 'listPairs',
        tags: ['pairs'],
        summary: 'Every DR pair with its live status and DR operation token expiry',
        description:
          'A pair is a registered secondary and the registered primary its last succeeded handshake joined it to, ' +
          "named by the secondary. Each is shown from both agents' shared status reads (an agent that does not " +
          'answer within VAULT_DR_FLEET_TIMEOUT_MS shows as agent_reachable: false). The DR operation token is never shown.',
        response: { 200: PairList, ...problemResponses },
      },
    },
    async () => ({ pairs: await pairs.list() }),
  )

  app.get(
    '/pairs/:secondary',
    {
      schema: {
        operationId: 'getPair',
        tags: ['pairs'],
        summary: 'One DR pair: both clusters, connection, WAL lag, heartbeat, versions, DR operation token expiry',
        description:
          "From live status (the agents' shared reads): the primary and the secondary with their versions and seals, the secondary_id, the connection as each side sees it, the WAL lag and how old that comparison is, the last heartbeat's age, merkle corruption, and when the kept DR operation token expires (never the token itself).",
        params: PairParams,
        response: { 200: Pair, 404: pairNotFound, ...problemResponses },
      },
    },
    async (request) => pairs.get(request.params.secondary),
  )

  app.get(
    '/pairs/:secondary/readiness',
    {
      schema: {
        operationId: 'getPairReadiness',
        tags: ['pairs'],
        summary: 'Could this pair fail over now? Checks P1-P7, each pass, warn or fail with a fix',
        description:
          'For a pair whose primary is up: connection seen from both sides (P1), WAL lag within max_lag_wals and the ' +
          'age of that comparison (P2), merkle corruption (P3), a DR operation token valid for longer than ' +
          'VAULT_DR_OPERATION_TOKEN_MIN_REMAINING and accepted by the secondary now (P4), versions that allow ' +
          "failback (P5), the primary's agent fencing it on isolation (P6, a warning without), the secondary unsealed with an active node and reaching the primary's other nodes (P7, probed " +
          'from the secondary at most every 30 s). ready is true when no check failed.',
        params: PairParams,
        querystring: ReadinessQuery,
        response: { 200: PairReadiness, 404: pairNotFound, ...problemResponses },
      },
      preValidation: digitsOnlyQuery({
        max_lag_wals: { digits: 10, message: 'must be a whole number of WALs from 0 to 1000000000, in digits' },
      }),
    },
    async (request) => pairs.readiness(request.params.secondary, request.query.max_lag_wals),
  )

  app.post(
    '/pairs/:secondary/dr-operation-token/rotate',
    {
      schema: {
        operationId: 'rotateDrOperationToken',
        tags: ['pairs'],
        summary: "Issue a new DR operation token on the pair's primary now, and check it on the secondary",
        description:
          'The new token is sealed in the store; the one it replaces is kept until it expires, so a valid token ' +
          'exists throughout. Neither is ever answered: only their expiry and the check on the secondary.',
        params: PairParams,
        response: {
          200: RotateResult,
          404: pairNotFound,
          409: problemResponse(
            'The pair does not stream (GATEWAY_ERR_PAIR_NOT_STREAMING), or an unfinished operation holds one of its clusters (GATEWAY_ERR_CLUSTER_BUSY: its last step issues a token itself)',
          ),
          ...problemResponses,
          ...agentProblemResponses,
        },
      },
    },
    async (request) => pairs.rotate(request.params.secondary),
  )

  app.put(
    '/pairs/:secondary/auto-failover',
    {
      schema: {
        operationId: 'setPairAutoFailover',
        tags: ['pairs'],
        summary: 'Turn automatic failover of this pair on or off',
        description:
          'Kept in the store, so every gateway sharing it sees it; off unless set. When on, a gateway fails the pair ' +
          'over by itself (createFailover, allow_data_loss false) only when the plan allows it, the primary has been ' +
          'unreachable for down_for from at least two vantage points outside its site (the gateway, the secondary ' +
          "agent, the secondary Vault: the primary agent's word alone is not enough), and no failover of the pair " +
          'started within VAULT_DR_AUTO_FAILOVER_BLOCK (default 1h). A healthy or partitioned primary never fails over.',
        params: PairParams,
        body: AutoFailoverBody,
        response: { 200: AutoFailoverView, 404: pairNotFound, ...problemResponses, ...bodyProblemResponses },
      },
    },
    async (request) => pairs.setAutoFailover(request.params.secondary, request.body),
  )
}
