import { pollUntil } from '@vault-dr/core'
import { secondaryVersionOrder } from '../dr/vault-versions.ts'
import type { RoleChangeClient } from '../role-changes/role-change-context.ts'
import type { RoleChangeRun } from '../switchovers/role-change-run.ts'
import type { FailoverDeps } from './failover-deps.ts'
import { FailoverErrors } from './failover-errors.ts'
import type { RejoinSubject } from './failovers-subject.ts'

export type RejoinStatus = Awaited<ReturnType<RoleChangeClient['status']>>
/** What a rejoin's preflight says of a reading it cannot go on from yet: why, for the error if it stays so. */
export type NotYet = { notYet: string }

const isNotYet = (v: unknown): v is NotYet => typeof v === 'object' && v !== null && 'notYet' in v

/** An older Vault cannot follow a newer primary: refused before anything changes, with the upgrade to make. */
function refuseOlderVersion(subject: RejoinSubject, mine: RejoinStatus, theirs: RejoinStatus): void {
  const [ours, primary] = [mine.vault.version, theirs.vault.version]
  const order = secondaryVersionOrder(ours, primary)
  if (order === undefined || order >= 0) return
  throw FailoverErrors.olderThanPrimary(
    `${subject.cluster} runs Vault ${ours}, older than ${subject.primary}'s ${primary}: Vault does not replicate from a primary to an older secondary`,
    {
      fix: `Upgrade ${subject.cluster} to Vault ${primary} or newer (it stays a DR secondary meanwhile, its data kept and writes refused), then rejoin it again.`,
    },
  )
}

/**
 * Reads the cluster to rejoin and the primary it is to follow, every 250 ms and bounded by the settle timeout, until
 * both answer and `judge` goes on from what they say (it throws to refuse at once); then fails with
 * GATEWAY_ERR_REJOIN_UNREACHABLE, naming the last reason: the cluster that did not answer, or what `judge` waited for.
 */
export async function untilRejoinable<T>(
  deps: Pick<FailoverDeps, 'settings'>,
  r: RoleChangeRun,
  subject: RejoinSubject,
  judge: (mine: RejoinStatus, theirs: RejoinStatus) => Promise<T | NotYet> | T | NotYet,
): Promise<T> {
  const signal = r.run.signal()
  const [mineC, theirsC] = [r.roles.client(subject.cluster), r.roles.client(subject.primary)]
  let why = 'no answer yet'
  const ready = await pollUntil(
    async () => {
      const [mine, theirs] = await Promise.all([
        mineC.status(signal).catch((err: Error) => err),
        theirsC.status(signal).catch((err: Error) => err),
      ])
      if (mine instanceof Error) why = `${subject.cluster}: ${mine.message}`
      else if (theirs instanceof Error) why = `${subject.primary}: ${theirs.message}`
      else {
        const verdict = await judge(mine, theirs)
        if (!isNotYet(verdict)) {
          // Once both are where a rejoin starts (the cluster a DR secondary), and before anything changes.
          refuseOlderVersion(subject, mine, theirs)
          return { verdict }
        }
        why = verdict.notYet
      }
      return undefined
    },
    { timeoutMs: deps.settings.settleTimeoutMs, intervalMs: 250, signal },
  )
  if (ready === undefined) throw FailoverErrors.stillAway(why)
  return ready.verdict
}
