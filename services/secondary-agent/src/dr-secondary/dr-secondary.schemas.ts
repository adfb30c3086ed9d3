import { ClusterStatus } from '@vault-dr/core'
import { z } from 'zod'
import { ActivationToken, ApiAddress, CaPem } from '../shared/inputs.ts'

export const ActivateSecondaryRequest = z
  .object({
    token: ActivationToken,
    primary_api_addr: ApiAddress.optional().describe(
      "Where the secondary's Vault unwraps the token instead of its addr claim (the primary's API as reachable from the secondary's Vault servers)",
    ),
    ca_pem: CaPem.optional().describe(
      "PEM CA for the primary's API certificate, passed to Vault as ca_pem. An extension that vault-sim honours; real Vault Enterprise reads only ca_file/ca_path, so use ca_file there",
    ),
    ca_file: z
      .string()
      .min(2)
      .max(4096)
      .regex(/^(?:\/|[A-Za-z]:[\\/])[^\0]*$/, 'must be an absolute path')
      .optional()
      .describe(
        "Path, on the secondary's Vault servers (not this agent), of a PEM CA bundle for the primary's API certificate",
      ),
    confirm_wipe: z
      .boolean()
      .optional()
      .describe("Must be true: activation erases this cluster's data, tokens, policies and keys"),
  })
  .strict()
  .refine((body) => body.ca_pem === undefined || body.ca_file === undefined, {
    path: ['ca_pem'],
    message: 'set ca_pem or ca_file, not both',
  })
  .meta({ id: 'ActivateSecondaryRequest' })
export type ActivateSecondaryRequest = z.infer<typeof ActivateSecondaryRequest>

export const ActivationResult = z
  .object({
    activated: z.literal(true),
    warnings: z.array(z.string()).describe("Vault's warnings (it is unavailable until setup and initial sync end)"),
    status: ClusterStatus.describe(
      'Read right after activation; the cluster then passes through bootstrapping and merkle sync to stream-wals',
    ),
  })
  .meta({ id: 'ActivationResult' })
export type ActivationResult = z.infer<typeof ActivationResult>
