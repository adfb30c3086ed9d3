import { StepCancelled, StepFailed, type StepResult } from '../operations/step.ts'
import type { StoredCluster } from '../store/store.ts'
import { inspectPair } from './inspect-pair.ts'
import type { RoleChangeRun } from './role-change-run.ts'
import type { SwitchoverDeps } from './switchover-deps.ts'
import { SwitchoverErrors } from './switchover-errors.ts'

const names = (followers: Array<{ cluster: string }>) =>
  followers
    .map((f) => f.cluster)
    .sort()
    .join(', ')

/**
 * The checks again, now (the plan was made at creation), then a DR operation token that outlives the whole operation
 * (issued first when the kept one would not). Changes nothing in Vault: a cancellation stops it cleanly.
 */
export async function roleChangePreflight(
  deps: SwitchoverDeps,
  r: RoleChangeRun,
  neededS: number,
  opts: { roundTrip?: boolean } = {},
): Promise<StepResult> {
  const leg = r.roles.leg(0)
  const signal = r.roles.signal()
  // The clusters the operation holds are read through the run's clients, which keep what they read for the demote.
  const held = new Set(r.run.record().clusters)
  const ask = { to: leg.to, from: leg.from, roundTrip: opts.roundTrip }
  const found = await inspectPair(deps, ask, neededS, signal, (name, s) =>
    held.has(name) ? r.roles.client(name).status(s) : undefined,
  )
  await r.saveData({ checks: found.checks }, { type: 'checks', data: { checks: found.checks } })
  if (!found.ok) {
    const failed = found.checks.filter((c) => c.status === 'fail')
    throw new StepFailed({
      code: SwitchoverErrors.preflightFailed.code,
      detail: failed.map((c) => `${c.name}: ${c.detail}`).join('; '),
      fix: failed[0]?.fix ?? null,
    })
  }
  if (names(found.followers) !== names(leg.followers)) {
    throw new StepFailed({
      code: SwitchoverErrors.preflightFailed.code,
      detail: `the DR secondaries of ${leg.from} are now ${names(found.followers)}, not ${names(leg.followers)} as planned`,
      fix: 'Start a new operation: its plan re-points every secondary there is now.',
    })
  }
  if (await r.run.cancelRequested()) throw new StepCancelled()
  const kept = await deps.custody.get(leg.from)
  const remaining = kept === undefined ? 0 : (Date.parse(kept.expires_at) - deps.now()) / 1000
  let tokenNote = `the kept DR operation token has ${Math.floor(remaining)} s left`
  if (remaining < neededS) {
    const from = (await deps.store.getCluster(leg.from)) as StoredCluster
    const { token } = await deps.custody.ensure(from, found.replicationClusterId, {
      force: true,
      signal,
      heldByOperation: true,
    })
    const left = (Date.parse(token.expires_at) - deps.now()) / 1000
    if (left < neededS) {
      throw new StepFailed({
        code: SwitchoverErrors.noDrOperationToken.code,
        detail: `the DR operation token ${leg.from} issued is valid ${Math.floor(left)} s, the operation may take ${neededS} s`,
        fix: "Raise VAULT_DR_OPERATION_TOKEN_TTL (the TTL the gateway asks for), or shorten catch_up_timeout or the drill's hold.",
      })
    }
    tokenNote = `${leg.from} issued a DR operation token valid ${Math.floor(left)} s`
  }
  await r.roles.saveLeg(0, { replication_cluster_id: found.replicationClusterId, to_secondary_id: found.toSecondaryId })
  const warned = found.checks.filter((c) => c.status === 'warn').length
  return {
    status: 'succeeded',
    detail: `${found.checks.length} checks, ${warned} warnings; ${tokenNote} (needed: ${neededS} s)`,
  }
}
