import { z } from 'zod'

export const CeremonyNonceParams = z.object({
  nonce: z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'must be the nonce startDrTokenCeremony answered'),
})

/**
 * One of the primary's unseal (or recovery) key shares: 44 characters in base64, 66 in hex for Vault's 32-byte keys.
 * The floor refuses a fragment (Vault's errors are scrubbed of the share by its text, which a fragment would garble).
 */
export const CeremonyShareKey = z
  .string()
  .min(16, 'must be a whole key share (16 characters or more)')
  .max(1024)
  .regex(/^[A-Za-z0-9+/=_-]+$/, 'must be a key share in hex or base64')
  .describe("One of the primary's unseal (or recovery) key shares; never echoed, logged or kept")

export const CeremonyShareBody = z.object({ key: CeremonyShareKey }).strict().meta({ id: 'CeremonyShareRequest' })

export const CeremonyProgress = z
  .object({
    nonce: z.string(),
    progress: z.number().int().describe('Key shares given so far'),
    required: z.number().int().describe("Key shares needed (the threshold of the primary's keys)"),
    complete: z.boolean(),
    token: z
      .string()
      .optional()
      .describe('Only in the answer to the last share: the decoded DR operation token, answered once, never kept'),
  })
  .meta({ id: 'CeremonyProgress' })
export type CeremonyProgress = z.infer<typeof CeremonyProgress>

export const CeremonyCancelled = z.object({ cancelled: z.boolean() }).meta({ id: 'CeremonyCancelled' })
