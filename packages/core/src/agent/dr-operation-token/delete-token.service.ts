import { isCodedError, scrubCodedError } from '../../errors.ts'
import { redactToken } from '../agent-inputs.ts'
import { drTokenRefusal } from '../dr-token-refusal.ts'
import { requireUnsealedDrSecondary } from '../unsealed-dr-secondary.ts'
import type { VaultAgent } from '../vault-agent.ts'
import type { DrOperationTokenDeletion } from './delete-token.schemas.ts'

const DELETE_PATH = 'sys/replication/dr/secondary/operation-token/delete'

/**
 * Deletes a DR operation token on this DR secondary (`operation-token/delete`, the token in the body: fact sheet 2.5).
 * A ceremony's token has no TTL and should be deleted soon after use. A token Vault refuses (403) is not usable here
 * either: answered as not_valid, so deleting one already gone is not an error. The token is never echoed or logged.
 */
export async function deleteDrOperationToken(agent: VaultAgent, token: string): Promise<DrOperationTokenDeletion> {
  agent.invalidateStatus()
  requireUnsealedDrSecondary(await agent.status(), 'deleting a DR operation token')
  try {
    await agent.vault.write(DELETE_PATH, { dr_operation_token: token }, { token: null })
    return { outcome: 'deleted', detail: 'The DR secondary deleted the DR operation token.' }
  } catch (caught) {
    if (!isCodedError(caught)) throw caught
    const err = scrubCodedError(caught, (text) => redactToken(text, token))
    if (drTokenRefusal(err) === 'token') {
      return {
        outcome: 'not_valid',
        detail:
          'The DR secondary refused the token (403): it was deleted already, wiped by an activation, or is not of this replication set.',
      }
    }
    throw err
  }
}
