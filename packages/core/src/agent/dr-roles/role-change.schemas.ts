import { z } from 'zod'
import { writtenPort } from '../../probes/parse-address.ts'
import { addressProblem, PrimaryApiAddr } from '../../replication/vault-address.ts'
import { printableAscii } from '../../util/printable-ascii.ts'
import { ClusterStatus } from '../cluster-status.ts'

/** A DR operation token: a secret, sent in the body only, never logged or returned. */
export const DrOperationToken = printableAscii(z.string().min(8).max(4096)).describe(
  'A DR operation token (batch token of the vault-dr-dr-operation role, or from the key-share ceremony)',
)

/** A cluster address as Vault takes it on a DR secondary: host:port or https://host:port, a real host and port. */
const ClusterAddr = z
  .string()
  .max(512)
  .regex(/^(https:\/\/)?[A-Za-z0-9[][A-Za-z0-9.:[\]-]*:\d{1,5}$/, 'must be host:port or https://host:port')
  .superRefine((value, ctx) => {
    const withScheme = value.startsWith('https://') ? value : `https://${value}`
    const port = writtenPort(withScheme) ?? 0
    const problem =
      addressProblem(withScheme) ?? (port < 1 || port > 65_535 ? 'the port must be between 1 and 65535' : null)
    if (problem !== null) ctx.addIssue({ code: 'custom', message: problem })
  })

export const PromoteRequest = z
  .object({
    dr_operation_token: DrOperationToken,
    primary_cluster_addr: ClusterAddr.optional().describe(
      'The cluster address the new primary hands to its secondaries',
    ),
    force: z
      .boolean()
      .optional()
      .describe('Promote while still catching up: what the secondary has not received yet is lost'),
  })
  .strict()
  .meta({ id: 'PromoteRequest' })
export type PromoteRequest = z.infer<typeof PromoteRequest>

export const UpdatePrimaryRequest = z
  .object({
    dr_operation_token: DrOperationToken,
    token: printableAscii(z.string().min(16).max(16_384))
      .optional()
      .describe("An activation token from the new primary (wrapped, or made with this cluster's public key)"),
    primary_api_addr: PrimaryApiAddr.optional(),
    update_primary_addrs: z
      .array(ClusterAddr)
      .min(1)
      .max(16)
      .optional()
      .describe('Cluster addresses of the same primary to look for it at (not after a failover: use token)'),
  })
  .strict()
  .refine((b) => (b.token === undefined) !== (b.update_primary_addrs === undefined), {
    path: ['token'],
    message: 'give token or update_primary_addrs, exactly one',
  })
  .meta({ id: 'UpdatePrimaryRequest' })
export type UpdatePrimaryRequest = z.infer<typeof UpdatePrimaryRequest>

export const RoleChangeResult = z
  .object({
    changed: z.boolean().describe('false: the cluster already was in the role asked for; nothing was sent to Vault'),
    detail: z.string(),
    warnings: z.array(z.string()).describe("Vault's warnings"),
    status: ClusterStatus.describe('Read once the cluster settled in its role'),
  })
  .meta({ id: 'RoleChangeResult' })
export type RoleChangeResult = z.infer<typeof RoleChangeResult>

export const PublicKeyResult = z
  .object({
    secondary_public_key: z
      .string()
      .describe("This DR secondary's public key: createSecondaryToken with it makes a token only this cluster can use"),
  })
  .meta({ id: 'PublicKeyResult' })
