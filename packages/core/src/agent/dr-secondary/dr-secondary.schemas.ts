import { z } from 'zod'
import { ActivationToken, ApiAddress, CaPem } from '../agent-inputs.ts'
import { ClusterStatus } from '../cluster-status.ts'

export const ActivationId = z
  .string()
  .regex(/^[A-Za-z0-9._:-]{1,128}$/, 'must be 1-128 letters, digits or ._:-')
  .describe("The caller's name for this activation, to ask getActivation how it ended if the answer is lost")

export const ActivateSecondaryRequest = z
  .object({
    token: ActivationToken,
    activation_id: ActivationId.optional(),
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

export const ActivationRecord = z.object({
  activation_id: z.string(),
  state: z
    .enum(['in_flight', 'succeeded', 'failed', 'unknown'])
    .describe(
      'in_flight: sent to Vault, no answer yet; succeeded/failed: how Vault answered; unknown: never reached this agent process',
    ),
  started_at: z.string().nullable(),
  finished_at: z.string().nullable(),
  error: z
    .object({
      code: z.string(),
      detail: z.string(),
      fix: z.string().nullable(),
      may_have_activated: z
        .boolean()
        .describe(
          'true: the enable call went to Vault and no answer came back (a timeout, a dropped connection): Vault may activate all the same',
        ),
    })
    .nullable()
    .describe('Why it failed (state failed)'),
})
export type ActivationRecord = z.infer<typeof ActivationRecord>

export const ActivationState = ActivationRecord.extend({
  agent_instance: z.string().describe('This agent process (new at each start)'),
  agent_started_at: z
    .string()
    .describe('When this agent process started: it cannot know of activations sent to an earlier process'),
}).meta({ id: 'ActivationState' })
export type ActivationState = z.infer<typeof ActivationState>

export const ActivationParams = z.object({ activation_id: ActivationId }).strict()
