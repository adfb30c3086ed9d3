import { PrimaryApiAddr, PrimaryClusterAddr, SecondaryId } from '@vault-dr/core'
import { z } from 'zod'
import { ClusterName, SecondaryClusterName } from '../clusters/clusters.schemas.ts'

/** Checks the gateway decides from both clusters' status and the primary's self-check. */
export const GATEWAY_CHECKS = [
  'primary_vault',
  'secondary_vault',
  'primary_enterprise',
  'secondary_enterprise',
  'version_compatible',
  'primary_role',
  'secondary_role',
  'secondary_id_free',
  'primary_cluster_addr',
  'primary_cluster_listener',
  'primary_vault_token',
  'secondary_vault_token',
] as const

/** Checks the secondary agent runs against the primary from the secondary's network (probePrimary). */
export const PROBE_CHECKS = [
  'api_tcp',
  'api_tls',
  'activation_ca',
  'api_vault',
  'cluster_tcp',
  'cluster_tls',
  'cluster_fingerprint',
] as const

/** Every check that can be skipped by name; the agents' own reachability never can. */
export const CheckName = z.enum([...GATEWAY_CHECKS, ...PROBE_CHECKS]).meta({ id: 'CheckName' })
export type CheckName = z.infer<typeof CheckName>

export const Check = z
  .object({
    name: z.string(),
    status: z.enum(['pass', 'warn', 'fail', 'skipped']),
    code: z.string().describe('OK, or the diagnosis, e.g. CONNECTION_REFUSED, TLS_TERMINATED, VERSION_SKEW'),
    detail: z.string(),
    fix: z.string().nullable(),
    source: z.enum(['gateway', 'primary-agent', 'secondary-agent']).describe('Who ran the check'),
    phase: z
      .enum(['preflight', 'post_enable', 'post_activation'])
      .describe(
        "post_enable: re-run after the primary was enabled; post_activation: the primary's other nodes, probed from the secondary once it knows them",
      ),
    latency_ms: z.number().nullable(),
  })
  .meta({ id: 'PreflightCheck' })
export type Check = z.infer<typeof Check>

export const PRIMARY_CLUSTER_ADDR_DESCRIPTION =
  'The primary_cluster_addr to enable the primary with: the address secondaries dial first on the cluster port, e.g. a ' +
  "layer-4 load balancer in front of every node's 8201. Preflight probes it from the secondary before anything " +
  'changes, and again once DR is on. A primary that already is a DR primary must hand out this very address ' +
  '(Vault keeps the one it was enabled with): check primary_cluster_addr fails otherwise.'

export const PRIMARY_API_ADDR_DESCRIPTION =
  "Where the secondary's Vault reaches the primary's API to unwrap the activation token, when the primary's own " +
  "api_addr (the token's addr claim) is not reachable from the secondary: a load balancer, a NAT address. " +
  'Preflight probes it from the secondary (it must reach the primary cluster), and inspect_token and ' +
  'activate_secondary use it.'

export const PreflightBody = z
  .object({
    primary: ClusterName,
    secondary: SecondaryClusterName,
    secondary_id: SecondaryId.optional().describe(
      "The DR secondary id to check; default: the secondary cluster's name",
    ),
    skip_checks: z.array(CheckName).max(32).default([]),
    primary_cluster_addr: PrimaryClusterAddr.optional().describe(PRIMARY_CLUSTER_ADDR_DESCRIPTION),
    primary_api_addr: PrimaryApiAddr.optional().describe(PRIMARY_API_ADDR_DESCRIPTION),
    allow_repoint: z.boolean().default(false),
  })
  .strict()
  .meta({ id: 'PreflightRequest', example: { primary: 'dc1', secondary: 'dc2' } })
export type PreflightBody = z.infer<typeof PreflightBody>

export const PreflightResult = z
  .object({
    ok: z.boolean().describe('No check failed (warnings and skipped checks do not block)'),
    already_replicating: z.boolean().describe('The secondary already streams WALs from this primary'),
    checks: z.array(Check),
  })
  .meta({ id: 'PreflightResult' })
export type PreflightResult = z.infer<typeof PreflightResult>
