import { z } from 'zod'
import { DrOperationToken } from '../dr-roles/role-change.schemas.ts'

export const MerkleCheckBody = z
  .object({ dr_operation_token: DrOperationToken })
  .strict()
  .meta({ id: 'MerkleCheckRequest', examples: [{ dr_operation_token: 'hvb.<batch token>' }] })
export type MerkleCheckBody = z.infer<typeof MerkleCheckBody>

export const MerkleCheckResult = z
  .object({
    outcome: z
      .enum(['clean', 'corrupted', 'inconclusive'])
      .describe('inconclusive: Vault refused the token or does not serve merkle-check, so nothing was judged'),
    code: z.string().describe('MERKLE_CLEAN, MERKLE_CORRUPTED, MERKLE_CHECK_TOKEN_REFUSED or MERKLE_CHECK_UNSUPPORTED'),
    detail: z.string(),
    fix: z.string().nullable(),
    corrupted_trees: z
      .array(z.string())
      .describe("The trees Vault found corrupted (tree_type: 'replicated', 'local'); empty unless corrupted"),
    checked_at: z.iso.datetime(),
  })
  .meta({
    id: 'MerkleCheckResult',
    examples: [
      {
        outcome: 'clean',
        code: 'MERKLE_CLEAN',
        detail: 'merkle-check found no corrupted tree on this DR secondary.',
        fix: null,
        corrupted_trees: [],
        checked_at: '2026-12-06T08:00:00.000Z',
      },
    ],
  })
export type MerkleCheckResult = z.infer<typeof MerkleCheckResult>
