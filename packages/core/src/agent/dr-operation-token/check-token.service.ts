import { isCodedError, scrubCodedError } from '../../errors.ts'
import { redactToken } from '../agent-inputs.ts'
import { drTokenRefusal } from '../dr-token-refusal.ts'
import { requireUnsealedDrSecondary } from '../unsealed-dr-secondary.ts'
import type { VaultAgent } from '../vault-agent.ts'
import type { DrOperationTokenCheck, DrSiteRaft } from './check-token.schemas.ts'

/** The harmless call of fact sheet 2.6/2.7: what `vault operator raft autopilot state -dr-token` sends. */
export const VALIDATION_PATH = 'sys/storage/raft/autopilot/state'

/**
 * Checks a DR operation token against this DR secondary with a read that changes nothing, the token as X-Vault-Token.
 * Vault's refusal (403) means the token would not work for promote either; a Vault that refuses the path itself
 * (not raft storage, or a version without it on DR secondaries) cannot judge it. The token is never echoed or logged:
 * Vault's answers to this path do not contain it, and our answers are built from codes.
 */
export async function checkDrOperationToken(agent: VaultAgent, token: string): Promise<DrOperationTokenCheck> {
  agent.invalidateStatus()
  requireUnsealedDrSecondary(await agent.status(), 'a DR operation token check')
  const checkedAt = new Date().toISOString()
  try {
    const res = await agent.vault.read(VALIDATION_PATH, { token })
    return {
      valid: true,
      outcome: 'valid',
      code: 'DR_TOKEN_VALID',
      detail: `The DR secondary accepted the token for ${VALIDATION_PATH}.`,
      fix: null,
      checked_at: checkedAt,
      raft: raftOf(res.body?.data),
    }
  } catch (caught) {
    if (!isCodedError(caught)) throw caught
    // The token went to Vault as X-Vault-Token only, but whatever Vault says back is scrubbed of it all the same.
    const err = scrubCodedError(caught, (text) => redactToken(text, token))
    const refusal = drTokenRefusal(err)
    if (refusal === 'token') {
      return {
        valid: false,
        outcome: 'invalid',
        code: 'DR_TOKEN_REJECTED',
        detail: `The DR secondary refused the token (403) for ${VALIDATION_PATH}.`,
        fix:
          "The token expired, was issued by a cluster that is not this secondary's primary, or its policy lacks read on " +
          `${VALIDATION_PATH}: issue a new one on the current primary (vault-dr dr-token rotate <secondary>).`,
        checked_at: checkedAt,
        raft: null,
      }
    }
    if (refusal === 'unsupported') {
      return {
        valid: false,
        outcome: 'inconclusive',
        code: 'DR_TOKEN_CHECK_UNSUPPORTED',
        detail: `This Vault does not serve ${VALIDATION_PATH} on its DR secondary (${err.message}).`,
        fix:
          'The check needs integrated (raft) storage and a Vault version that serves autopilot state to a DR ' +
          'operation token on DR secondaries; without them the token is only known to be unexpired.',
        checked_at: checkedAt,
        raft: null,
      }
    }
    throw err
  }
}

/** autopilot state's verdict on the raft cluster (`healthy`, `failure_tolerance`); null when its answer lacks it. */
function raftOf(data: unknown): DrSiteRaft | null {
  const d = data as { healthy?: unknown; failure_tolerance?: unknown } | null | undefined
  if (typeof d?.healthy !== 'boolean') return null
  const tolerance = d.failure_tolerance
  const wholeCount = typeof tolerance === 'number' && Number.isInteger(tolerance) && tolerance >= 0
  return { healthy: d.healthy, failure_tolerance: wholeCount ? tolerance : null }
}
