import { z } from 'zod'
import { printableAscii } from '../../util/printable-ascii.ts'

export const DeleteDrOperationTokenBody = z
  .object({
    token: printableAscii(z.string().min(1).max(4096)).describe(
      'The DR operation token to delete (one a key-share ceremony made); never echoed, logged or kept',
    ),
  })
  .strict()
  .meta({ id: 'DeleteDrOperationTokenRequest', examples: [{ token: 'hvs.<ceremony token>' }] })

export const DrOperationTokenDeletion = z
  .object({
    outcome: z
      .enum(['deleted', 'not_valid'])
      .describe(
        "not_valid: this DR secondary refused the token (already deleted, wiped by an activation, or another set's), so it is not usable here either",
      ),
    detail: z.string(),
  })
  .meta({
    id: 'DrOperationTokenDeletion',
    examples: [{ outcome: 'deleted', detail: 'The DR secondary deleted the DR operation token.' }],
  })
export type DrOperationTokenDeletion = z.infer<typeof DrOperationTokenDeletion>
