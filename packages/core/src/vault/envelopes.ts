import { z } from 'zod'

export const WrapInfo = z.looseObject({
  token: z.string(),
  accessor: z.string(),
  ttl: z.number(),
  creation_time: z.string(),
  creation_path: z.string(),
  wrapped_accessor: z.string().optional(),
})

/** Vault's response envelope; unknown fields from other Vault versions pass through. */
export const VaultEnvelope = z.looseObject({
  request_id: z.string().optional(),
  lease_id: z.string().optional(),
  renewable: z.boolean().optional(),
  lease_duration: z.number().optional(),
  data: z.record(z.string(), z.unknown()).nullable().optional(),
  wrap_info: WrapInfo.nullable().optional(),
  warnings: z.array(z.string()).nullable().optional(),
  auth: z.record(z.string(), z.unknown()).nullable().optional(),
})
export type VaultEnvelope = z.infer<typeof VaultEnvelope>

export const VaultErrorBody = z.object({ errors: z.array(z.string()) })
