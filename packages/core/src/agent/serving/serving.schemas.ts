import { z } from 'zod'

export const ServingReason = z
  .enum(['primary', 'dr_disabled', 'vault_unavailable', 'dr_secondary', 'fenced', 'unconfirmed'])
  .describe(
    'primary: a DR primary whose role this agent has confirmed; dr_disabled: DR replication is not enabled (nothing ' +
      'to fence); vault_unavailable: Vault does not answer, is sealed or has no active node; dr_secondary: a DR ' +
      'secondary serves no client; fenced: failed away from (see the status); unconfirmed: a DR primary whose agent ' +
      'has not confirmed, since it started or since its Vault was away longer than VAULT_DR_SERVING_RECONFIRM_AFTER, ' +
      'that no other cluster took the primary role meanwhile',
  )
export type ServingReason = z.infer<typeof ServingReason>

export const ServingConfirmation = z
  .object({
    by: z
      .enum(['secondary_connected', 'promote', 'gateway'])
      .describe(
        'secondary_connected: every DR secondary it knows streams from it (none was promoted away from it); promote: the agent ' +
          'saw it turn from a DR secondary into a DR primary (its own promote among them); gateway: the gateway ' +
          'confirmed it from its store (confirmServing)',
      ),
    at: z.iso.datetime(),
  })
  .meta({ id: 'ServingConfirmation' })
export type ServingConfirmation = z.infer<typeof ServingConfirmation>

export const Serving = z
  .object({
    serving: z.boolean().describe('true (HTTP 200): send clients to this cluster; false (HTTP 503): do not'),
    reason: ServingReason,
    detail: z.string(),
    confirmed: ServingConfirmation.nullable().describe('What last confirmed the primary role; null when nothing has'),
    episode: z
      .string()
      .describe(
        'Changes whenever this agent starts or sees its Vault unanswered, sealed or slow (a failover may have ' +
          'happened unseen meanwhile). confirmServing must echo the value read before the caller read its store',
      ),
  })
  .meta({ id: 'Serving' })
export type Serving = z.infer<typeof Serving>

export const ConfirmServingRequest = z
  .object({
    checked_at: z.iso
      .datetime()
      .describe(
        'When the caller read, in its store, that this cluster is not fenced. Refused when more than ' +
          '10 s away from the agent clock (AGENT_ERR_SERVING_CONFIRM_STALE): a confirmation held up in the network ' +
          'must not outlive a failover',
      ),
    episode: z
      .string()
      .min(1)
      .describe(
        "getServing's episode, read before the caller read its store. Refused when the agent's has changed since " +
          '(AGENT_ERR_SERVING_EPISODE_CHANGED): a confirmation must not outlive a time the agent could not see its Vault',
      ),
  })
  .strict()
  .meta({ id: 'ConfirmServingRequest' })
export type ConfirmServingRequest = z.infer<typeof ConfirmServingRequest>
