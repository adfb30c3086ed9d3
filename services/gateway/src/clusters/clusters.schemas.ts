import { ClusterStatus, printableAscii, VaultTokenCheck } from '@vault-dr/core'
import { z } from 'zod'

export const ClusterName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be 1-63 lowercase letters, digits or "-", starting with a letter or digit')
  .meta({ example: 'dc1' })

/** A cluster name where the secondary is meant: its own example, so Swagger UI's sample names two clusters. */
export const SecondaryClusterName = ClusterName.meta({ example: 'dc2' })

export const ClusterRole = z.enum(['primary', 'secondary'])
export type ClusterRole = z.infer<typeof ClusterRole>

/** An agent's origin: http(s), a host, maybe a port, and nothing else (no credentials, path, query or fragment). */
export const AgentUrl = z
  .url({ protocol: /^https?$/, error: 'must be an http(s) URL such as https://agent.dc1.example:8410' })
  .max(2048)
  .refine((value) => {
    // zod runs refinements after a failed check too: the URL check has already said what is wrong.
    if (!URL.canParse(value)) return true
    const url = new URL(value)
    return url.username === '' && url.password === '' && url.search === '' && url.hash === '' && url.pathname === '/'
  }, 'must be the agent origin only: no credentials, path, query or fragment')
  .transform((value) => new URL(value).origin)

export const RegisterClusterBody = z
  .object({
    name: ClusterName,
    role: ClusterRole,
    agent_url: AgentUrl,
    // Sent as a bearer header: a character no header can carry would fail every call, the token in the error.
    agent_token: printableAscii(z.string().min(16, 'must be at least 16 characters').max(4096)).describe(
      "The agent's VAULT_DR_API_TOKEN (printable ASCII, no spaces); stored encrypted, never returned",
    ),
  })
  .strict()
  .meta({
    id: 'RegisterClusterRequest',
    example: {
      name: 'dc1',
      role: 'primary',
      agent_url: 'https://agent.dc1.example:8410',
      agent_token: 'the-agents-own-VAULT_DR_API_TOKEN',
    },
  })
export type RegisterClusterBody = z.infer<typeof RegisterClusterBody>

export const Cluster = z
  .object({
    name: z.string(),
    role: ClusterRole,
    agent_url: z.string(),
    agent_url_warning: z
      .string()
      .nullable()
      .describe(
        'Set when agent_url is plain http to another machine: what would cross the network in clear, and the fix; null otherwise',
      ),
    created_at: z.iso.datetime(),
    updated_at: z.iso.datetime(),
  })
  .meta({ id: 'Cluster' })
export type Cluster = z.infer<typeof Cluster>

export const AgentView = z
  .discriminatedUnion('reachable', [
    z.object({
      reachable: z.literal(true),
      latency_ms: z.number(),
      status: ClusterStatus,
      vault_token: VaultTokenCheck.nullable().describe(
        "The agent's own check of its Vault token (checkVaultToken: valid, not about to expire, every capability its " +
          'operations need); a token Vault refuses fails it while the status still reads (status reads need none). ' +
          'null when the agent gave no answer to it in time',
      ),
    }),
    z.object({
      reachable: z.literal(false),
      latency_ms: z.number(),
      error: z.object({ code: z.string(), detail: z.string(), upstream_code: z.string().nullable() }),
    }),
  ])
  .meta({ id: 'AgentView', description: "The agent's live status, or why it could not be had" })
export type AgentView = z.infer<typeof AgentView>

export const ClusterFence = z
  .object({
    failover_id: z.string(),
    new_primary: z.string().describe('The cluster the failover promoted in its place'),
    fenced_at: z.iso.datetime(),
    demoted_at: z.iso.datetime().nullable().describe('When its agent demoted it; null while it is away or not yet'),
    pending: z
      .boolean()
      .describe("True while the failover's promote is about to be sent: no gateway acts on the fence yet"),
  })
  .meta({
    id: 'ClusterFence',
    description:
      'A failover promoted another cluster away from this one: every gateway demotes it as soon as its agent answers, ' +
      "and its registered role stays until a rejoin (createRejoin) makes it the new primary's DR secondary",
  })
export type ClusterFence = z.infer<typeof ClusterFence>

export const ClusterView = Cluster.extend({
  agent: AgentView.nullable().describe('null when live=false'),
  fence: ClusterFence.nullable().describe('null: no failover fenced it (or a rejoin ended its fence)'),
}).meta({ id: 'ClusterView' })
export type ClusterView = z.infer<typeof ClusterView>

export const ClusterList = z.object({ clusters: z.array(ClusterView) }).meta({ id: 'ClusterList' })
export const ClusterParams = z.object({ name: ClusterName })
export const DeleteClusterQuery = z
  .object({
    site_lost: z
      .stringbool()
      .default(false)
      .describe(
        'The cluster is a fenced old primary whose site is gone for good (its Vault will never answer again): ' +
          'deregistered all the same, its fence kept in the store (enforced again if it is registered again). ' +
          'Should its Vault come back after all, no gateway demotes it: a second writable DR primary.',
      ),
  })
  .strict()
export const LiveQuery = z
  .object({
    live: z.stringbool().default(true).describe("Ask each agent for its cluster's status (default true)"),
  })
  .strict()
