import { z } from 'zod'

/** The harmless ACL policy the write check writes and reads back: it grants nothing. */
export const WRITE_CHECK_POLICY_NAME = 'vault-dr-write-check'

export const WriteCheckResult = z
  .object({
    writable: z.boolean().describe('Vault accepted the write and answered it on the read back'),
    detail: z.string().describe("What happened; when not writable, Vault's own reason"),
    code: z
      .string()
      .nullable()
      .describe('null when writable; else the Vault error code (VAULT_ERR_DR_SECONDARY, VAULT_ERR_SEALED...)'),
    took_ms: z.number().describe('From the write sent to the read back answered'),
  })
  .meta({
    id: 'WriteCheckResult',
    examples: [
      {
        writable: true,
        detail: 'wrote and read back sys/policies/acl/vault-dr-write-check',
        code: null,
        took_ms: 4.2,
      },
      {
        writable: false,
        detail: 'Vault refused the write: path disabled in replication DR secondary mode',
        code: 'VAULT_ERR_DR_SECONDARY',
        took_ms: 1.1,
      },
    ],
  })
export type WriteCheckResult = z.infer<typeof WriteCheckResult>
