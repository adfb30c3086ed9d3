import { isCodedError } from '@vault-dr/core'
import type { StepResult } from '../operations/step.ts'
import type { RoleChangeRun } from '../switchovers/role-change-run.ts'
import { ceremonyTokenOf } from './ceremony-token.ts'
import type { FailoverDeps } from './failover-deps.ts'
import { FailoverErrors } from './failover-errors.ts'

/** The agent's code when Vault refuses the DR operation token of a promote (expired, revoked, another set's). */
const TOKEN_REJECTED = 'AGENT_ERR_DR_OPERATION_TOKEN_REJECTED'

export const ceremonyFix = (secondary: string) =>
  `Make a DR operation token with the key-share ceremony on the secondary (vault-dr dr-token ceremony ${secondary}), then fail over again: the gateway uses it when no kept batch token is valid.`

const rejected = (err: unknown) => isCodedError(err) && err.upstream?.code === TOKEN_REJECTED

/**
 * The promote, and when Vault refuses the token it was sent with: once more with the key-share ceremony's token if
 * the gateway keeps one for the secondary, else a failure that sends the operator to the ceremony (the primary is
 * lost: no new batch token can be made). The secondary is unchanged by a refused promote.
 */
export async function promoteWithFallback(
  deps: FailoverDeps,
  r: RoleChangeRun,
  secondary: string,
  promote: (r: RoleChangeRun) => Promise<StepResult>,
): Promise<StepResult> {
  // The token the first promote was sent with: the ceremony's already when no kept one was valid.
  let sent: string | undefined
  const drToken = async () => {
    sent = await r.roles.drToken()
    return sent
  }
  try {
    return await promote({ ...r, roles: { ...r.roles, drToken } })
  } catch (err) {
    if (!rejected(err)) throw err
    const ceremony = await ceremonyTokenOf(deps, secondary)
    if (ceremony !== undefined && ceremony === sent) {
      throw FailoverErrors.noDrToken(
        `${secondary}'s Vault refused the key-share ceremony's token (${(err as Error).message}); no kept DR operation token was valid`,
        { fix: ceremonyFix(secondary) },
      )
    }
    if (ceremony === undefined) {
      throw FailoverErrors.noDrToken(
        `${secondary}'s Vault refused the DR operation token (${(err as Error).message}), and the gateway keeps no key-share ceremony token for ${secondary}`,
        { fix: ceremonyFix(secondary) },
      )
    }
    const result = await promote({ ...r, roles: { ...r.roles, drToken: async () => ceremony } }).catch((again) => {
      if (!rejected(again)) throw again
      throw FailoverErrors.noDrToken(
        `${secondary}'s Vault refused both the kept DR operation token and the key-share ceremony's`,
        { fix: ceremonyFix(secondary) },
      )
    })
    return { ...result, detail: `${result.detail} (with the key-share ceremony's token: Vault refused the kept one)` }
  }
}
