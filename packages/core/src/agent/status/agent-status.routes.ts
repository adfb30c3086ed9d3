import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { problemResponses } from '../../problem.ts'
import { SecondaryId } from '../../replication/secondary-id.ts'
import { sendSerializedJson } from '../../server/send-json.ts'
import { ClusterStatus, StatusQuery } from '../cluster-status.ts'
import { FencedField, type FenceRecord } from '../fence/fence.schemas.ts'
import { CONTACT_HEADER, CONTACT_WITHIN_HEADER, QUORUM_CONTACT } from '../fence/quorum-contact.ts'
import { digitsOnlyMaxAge } from '../max-age-query.ts'
import type { VaultAgent } from '../vault-agent.ts'

/** The status an agent answers: the cluster's, and the highest fencing epoch this agent has seen. */
export const AgentStatus = ClusterStatus.extend({
  epoch: z
    .number()
    .int()
    .min(0)
    .describe('The highest x-vault-dr-epoch this agent has seen (kept on disk); 0 when none yet'),
  fenced: FencedField,
  fence_on_isolation_ms: z
    .number()
    .int()
    .min(0)
    .nullable()
    .describe(
      "This agent's VAULT_DR_FENCE_ON_ISOLATION in ms (it demotes its own primary when cut off that long); null: off. " +
        'The gateway keeps it, so that a failover, made when this agent no longer answers, waits until the agent ' +
        'has surely demoted its primary',
    ),
}).meta({ id: 'AgentStatus' })
export type AgentStatus = z.infer<typeof AgentStatus>

const AgentStatusQuery = StatusQuery.extend({
  secondary_id: SecondaryId.optional().describe(
    "Only this secondary's entries in replication.known_secondaries and replication.secondaries: a primary with " +
      'thousands of secondaries answers in a few KB instead of hundreds.',
  ),
})
  // An unknown parameter (a misspelt `max_age=`) is refused, not ignored into another answer than asked.
  .strict()

/** The status with only one secondary's entries, for whoever follows that secondary. */
function forSecondary(status: ClusterStatus, secondaryId: string): ClusterStatus {
  const r = status.replication
  if (r === null) return status
  return {
    ...status,
    replication: {
      ...r,
      known_secondaries: r.known_secondaries.filter((id) => id === secondaryId),
      secondaries: r.secondaries.filter((s) => s.node_id === secondaryId),
    },
  }
}

/**
 * The checked JSON of a status with the epoch and the fence appended (the status JSON is an object, its last byte a
 * `}`; the fence is JSON made once per change), made once per status read, epoch and fence: monitoring polls the same
 * cached answer many times.
 */
function agentPartsAppender(fenceOnIsolationMs: number | null) {
  const setting = `"fence_on_isolation_ms":${fenceOnIsolationMs ?? 'null'}`
  let last = { json: '', epoch: -1, fenced: '', out: '' }
  return (json: string, epoch: number, fenced: string) => {
    if (last.json !== json || last.epoch !== epoch || last.fenced !== fenced)
      last = { json, epoch, fenced, out: `${json.slice(0, -1)},"epoch":${epoch},"fenced":${fenced},${setting}}` }
    return last.out
  }
}

const ContactHeaders = z.looseObject({
  [CONTACT_HEADER]: z
    .string()
    .max(64)
    .optional()
    .describe(
      `\`${QUORUM_CONTACT}\` on a gateway's keeping-in-touch reads only, sent right after it reached its store's ` +
        'quorum: with VAULT_DR_FENCE_ON_ISOLATION on, the only request that counts as contact with the quorum side ' +
        '(another value is taken as no mark, so a newer gateway reads an older agent).',
    ),
  [CONTACT_WITHIN_HEADER]: z
    .string()
    .regex(/^\d{1,7}$/)
    .optional()
    .describe(
      'How long the marking gateway waits for the answer, in ms: a marked read answered later is not counted as ' +
        'contact (the gateway gave up on it). Without it, any answered marked read counts.',
    ),
})

export const agentStatusRoutes: FastifyPluginAsyncZod<{
  agent: VaultAgent
  /** Each agent keeps the operationId it always had (getPrimaryStatus, getSecondaryStatus). */
  operationId: string
  summary: string
  epoch: () => number
  /** The fence record as JSON ('null' when not fenced), and as an object. */
  fencedJson: () => string
  fenced: () => FenceRecord | undefined
  /** VAULT_DR_FENCE_ON_ISOLATION in ms; null when off. */
  fenceOnIsolationMs: number | null
}> = async (app, { agent, operationId, summary, epoch, fencedJson, fenced, fenceOnIsolationMs }) => {
  const withAgentParts = agentPartsAppender(fenceOnIsolationMs)
  app.get(
    '/status',
    {
      schema: {
        operationId,
        tags: ['status'],
        summary,
        description:
          'Reachability, version, seal and HA role from sys/health (472 is the normal answer of a DR secondary), DR ' +
          'replication from sys/replication/dr/status, the highest fencing epoch this agent has seen, and the fence ' +
          '(fenced: set while the cluster is fenced after a failover or on isolation, with demoted_at null until ' +
          'it is a DR secondary), and the VAULT_DR_FENCE_ON_ISOLATION this agent runs with. Concurrent ' +
          'requests share one Vault round trip, reused for VAULT_DR_STATUS_CACHE_MS (max_age_ms=0: ask Vault now).',
        querystring: AgentStatusQuery,
        headers: ContactHeaders,
        response: { 200: AgentStatus, ...problemResponses },
      },
      preValidation: digitsOnlyMaxAge,
    },
    // Not async, and sent as JSON checked against ClusterStatus once per Vault read: monitoring polls it at high rates.
    (request, reply) => {
      const { max_age_ms: maxAge, secondary_id: secondaryId } = request.query
      if (secondaryId !== undefined) {
        return agent.status(maxAge).then((s) => {
          reply.send({
            ...forSecondary(s, secondaryId),
            epoch: epoch(),
            fenced: fenced() ?? null,
            fence_on_isolation_ms: fenceOnIsolationMs,
          })
        })
      }
      const cached = agent.cachedStatusJson(maxAge)
      if (cached !== undefined) {
        sendSerializedJson(reply, withAgentParts(cached, epoch(), fencedJson()))
        return undefined
      }
      return agent.statusJson(maxAge).then((json) => {
        sendSerializedJson(reply, withAgentParts(json, epoch(), fencedJson()))
      })
    },
  )
}
