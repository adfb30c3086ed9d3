import { isCodedError, scrubCodedError } from '../../errors.ts'
import type { VaultResponse } from '../../vault/vault-client.ts'
import { VaultErrors } from '../../vault/vault-errors.ts'
import { redactToken } from '../agent-inputs.ts'
import { type ClusterStatus, statusReadError } from '../cluster-status.ts'
import { settleAfterChange } from '../settle.ts'
import { GUARD_STATUS_MAX_AGE_MS, type VaultAgent } from '../vault-agent.ts'
import type { PromoteRequest, RoleChangeResult, UpdatePrimaryRequest } from './role-change.schemas.ts'
import { RoleErrors } from './role-errors.ts'

const DR = 'sys/replication/dr'

const mode = (s: ClusterStatus) => s.replication?.mode
/**
 * Vault answers again and reports DR as `role`: the brief window with no active node after a role change is over.
 * When the agent reached the active node before the change (`wasActive`), its node must be active again too: in the
 * window sys/health answers as a standby, without last_wal, and a DR status read a moment later may already answer.
 */
const settledAs = (role: 'primary' | 'secondary', wasActive: boolean) => (s: ClusterStatus) =>
  s.vault.reachable &&
  s.vault.sealed === false &&
  mode(s) === role &&
  s.vault.dr_mode === role &&
  (!wasActive || s.vault.ha_role === 'active')
const runningPrimary = (wasActive: boolean) => (s: ClusterStatus) =>
  settledAs('primary', wasActive)(s) && s.replication?.state === 'running'
const wasActive = (before: ClusterStatus) => before.vault.ha_role === 'active'

/**
 * The role changes of a failover, served by both agents from this one implementation (after a swap, the agent next
 * to the old primary re-points it and the one next to the new primary demotes it). Each reads the cluster's status
 * first and refuses what Vault would refuse or what would harm, leaves a cluster already in the asked role alone,
 * and after the change waits, bounded by VAULT_DR_WAIT_TIMEOUT_MS, until the cluster settles. The DR operation token
 * is sent only in Vault's request body: never logged, and scrubbed from any error.
 *
 * The guard of a change reuses a status read in the last GUARD_STATUS_MAX_AGE_MS: the one the change before it settled
 * on, or a steady one the agent shares (the gateway reads the cluster just before it asks for a change). Vault itself
 * refuses a demote of a cluster that is not its DR primary and a promote, update-primary or public key of one that is
 * not a DR secondary, so a guard that is a moment old cannot make a wrong change happen, only have it refused by Vault
 * instead of by the agent.
 */
/** A change of a cluster's DR role this service makes. */
export type RoleChange = 'demote' | 'promote' | 'update_primary'

export function createRoleChangeService(
  agent: VaultAgent,
  opts: {
    waitTimeoutMs: number
    /**
     * Why a change may not be made now, read inside the lock right before Vault is asked, after the guard's status read
     * (a fence, or a higher epoch, recorded while the request waited its turn or the read): the route's guards ran
     * before. `callEpoch` is the fencing epoch the call carries (none from the fence's own demote).
     */
    refusal?: (change: RoleChange, callEpoch: number | undefined) => Error | undefined
  },
) {
  /** What the last change settled on (the agent shares only steady statuses: a demoted cluster's is not). */
  let settled: { status: ClusterStatus; at: number } | undefined
  /**
   * One role change at a time, with the fence's own demote and its reading of the cluster: a fence recorded while a
   * promote is under way waits for it to settle, then sees the cluster as the promote left it.
   */
  let queue: Promise<unknown> = Promise.resolve()
  const exclusive = <T>(work: () => Promise<T>): Promise<T> => {
    const turn = queue.then(work)
    queue = turn.catch(() => undefined)
    return turn
  }
  /**
   * The change a caller asked for that is under way. Another one asked meanwhile is refused, not queued: its caller
   * got no answer to the first (a cut connection, a timeout) and asks again having read the cluster before the first
   * one landed; queued, it would be carried out on what that reading no longer shows.
   */
  let asked: string | undefined
  const oneAsked = <T>(what: string, work: () => Promise<T>): Promise<T> => {
    if (asked !== undefined) {
      return Promise.reject(
        RoleErrors.operationInFlight(`A ${asked} asked for earlier is still under way on this agent.`, {
          fix: "Its caller got no answer or gave up on it: read the cluster's status once it has settled, then ask again if it is still needed (the gateway does so by itself).",
        }),
      )
    }
    asked = what
    return exclusive(work).finally(() => {
      asked = undefined
    })
  }
  const refuseIf = (change: RoleChange, callEpoch: number | undefined) => {
    const refused = opts.refusal?.(change, callEpoch)
    if (refused !== undefined) throw refused
  }

  async function current(): Promise<ClusterStatus & { replication: NonNullable<ClusterStatus['replication']> }> {
    const recent =
      settled !== undefined && performance.now() - settled.at <= GUARD_STATUS_MAX_AGE_MS ? settled.status : undefined
    const status = recent ?? (await agent.status(GUARD_STATUS_MAX_AGE_MS))
    if (status.replication === null || !status.vault.reachable) {
      throw statusReadError(status) ?? VaultErrors.unreachable("Cannot read the cluster's DR replication status.")
    }
    return status as ClusterStatus & { replication: NonNullable<ClusterStatus['replication']> }
  }

  /** Vault is asked for a change: what the last one settled on no longer holds. */
  function changing(): void {
    settled = undefined
    agent.invalidateStatus()
  }

  async function settle(what: string, done: (s: ClusterStatus) => boolean): Promise<ClusterStatus> {
    const after = await settleAfterChange(agent, done, opts.waitTimeoutMs)
    if (after === undefined) throw RoleErrors.settleTimeout(`Not ${what} ${opts.waitTimeoutMs} ms after the change.`)
    settled = { status: after, at: performance.now() }
    return after
  }

  async function demote(callEpoch?: number): Promise<RoleChangeResult> {
    const before = await current()
    if (before.replication.mode === 'secondary') {
      return unchanged(before, 'The cluster already is a DR secondary; nothing changed.')
    }
    if (before.replication.mode !== 'primary') {
      throw RoleErrors.notDrPrimary(`The cluster's DR mode is ${before.replication.mode}.`)
    }
    refuseIf('demote', callEpoch)
    changing()
    const res = await agent.vault.write(`${DR}/primary/demote`, {}).finally(() => agent.invalidateStatus())
    const status = await settle('a DR secondary', settledAs('secondary', wasActive(before)))
    return changed(status, 'Demoted: the cluster is a DR secondary following no primary, its data kept.', res)
  }

  async function promote(body: PromoteRequest, callEpoch?: number): Promise<RoleChangeResult> {
    const before = await current()
    // Refused, not "already done": promoting is never harmless, and a caller resuming its own promote tells it
    // from another primary by reading the status (the replication cluster_id it expects).
    if (before.replication.mode !== 'secondary') {
      throw RoleErrors.notDrSecondary(
        `The cluster's DR mode is ${before.replication.mode} (replication cluster_id ${before.replication.cluster_id ?? 'none'}).`,
      )
    }
    const scrub = (text: string) => redactToken(text, body.dr_operation_token)
    refuseIf('promote', callEpoch)
    changing()
    const res = await agent.vault
      .write(`${DR}/secondary/promote`, body, { token: null })
      .catch((err: unknown) => {
        throw refusal(err, scrub)
      })
      .finally(() => agent.invalidateStatus())
    const status = await settle('a running DR primary', runningPrimary(wasActive(before)))
    return changed(status, 'Promoted: the cluster is a running DR primary and accepts writes.', res, scrub)
  }

  async function updatePrimary(body: UpdatePrimaryRequest, callEpoch?: number): Promise<RoleChangeResult> {
    const before = await current()
    if (before.replication.mode !== 'secondary') {
      throw RoleErrors.notDrSecondary(`The cluster's DR mode is ${before.replication.mode}.`)
    }
    // The activation token and, for a wrapped one, its jti (the wrapping token itself) never leave in an answer.
    const scrub = (text: string) =>
      redactToken(body.token === undefined ? text : redactToken(text, body.token), body.dr_operation_token)
    refuseIf('update_primary', callEpoch)
    changing()
    const res = await agent.vault
      .write(`${DR}/secondary/update-primary`, body, { token: null })
      .catch((err: unknown) => {
        throw refusal(err, scrub)
      })
      .finally(() => agent.invalidateStatus())
    const status = await settle('a DR secondary again', settledAs('secondary', wasActive(before)))
    return changed(status, 'Re-pointed without a wipe: the secondary now follows the new primary.', res, scrub)
  }

  async function generatePublicKey(): Promise<{ secondary_public_key: string }> {
    const before = await current()
    if (before.replication.mode !== 'secondary') {
      throw RoleErrors.notDrSecondary(`The cluster's DR mode is ${before.replication.mode}.`)
    }
    const res = await agent.vault.write(`${DR}/secondary/generate-public-key`, {})
    const key = (res.body?.data as { secondary_public_key?: unknown } | null | undefined)?.secondary_public_key
    if (typeof key !== 'string' || key === '') {
      throw VaultErrors.badResponse(`${DR}/secondary/generate-public-key answered without data.secondary_public_key`)
    }
    return { secondary_public_key: key }
  }

  return {
    demote: (callEpoch?: number): Promise<RoleChangeResult> => oneAsked('demote', () => demote(callEpoch)),
    promote: (body: PromoteRequest, callEpoch?: number): Promise<RoleChangeResult> =>
      oneAsked('promote', () => promote(body, callEpoch)),
    updatePrimary: (body: UpdatePrimaryRequest, callEpoch?: number): Promise<RoleChangeResult> =>
      oneAsked('update-primary', () => updatePrimary(body, callEpoch)),

    /** Runs `work` as a role change of its own (the fence's status read and demote): `demote` is the unlocked one. */
    exclusive: <T>(work: (locked: { demote: () => Promise<RoleChangeResult> }) => Promise<T>): Promise<T> =>
      exclusive(() => work({ demote: () => demote() })),

    generatePublicKey: (): Promise<{ secondary_public_key: string }> => oneAsked('public key', generatePublicKey),
  }
}

export type RoleChangeService = ReturnType<typeof createRoleChangeService>

function unchanged(status: ClusterStatus, detail: string): RoleChangeResult {
  return { changed: false, detail, warnings: [], status }
}

/** A change Vault made, with its warnings scrubbed of every secret sent (`scrub`): Vault may echo what it was given. */
function changed(
  status: ClusterStatus,
  detail: string,
  res: VaultResponse,
  scrub: (text: string) => string = (text) => text,
): RoleChangeResult {
  return { changed: true, detail, warnings: (res.body?.warnings ?? []).map(scrub), status }
}

/** Vault's refusal of a DR-token call, in our terms, with every secret sent scrubbed (`scrub`) from what it says. */
function refusal(err: unknown, scrub: (text: string) => string): unknown {
  if (!isCodedError(err)) return err
  const scrubbed = scrubCodedError(err, scrub)
  const upstream = { ...scrubbed.upstream, service: 'vault' }
  const text = (upstream.errors ?? []).join('; ')
  // Only Vault's refusals (a 4xx, or the 503 of a secondary still catching up) are named as such: a caller may take
  // them as "nothing happened", which Vault failing part way (any other 5xx) does not say.
  const status = upstream.status ?? 0
  const refused = status >= 400 && status < 500
  if (/catching up/i.test(text) && (refused || status === 503))
    return RoleErrors.catchingUp(`Vault: ${text}`, { upstream })
  if (refused && (/operation token|permission denied/i.test(text) || status === 403)) {
    return RoleErrors.drOperationTokenRejected(`Vault: ${text || `HTTP ${upstream.status ?? '?'}`}`, { upstream })
  }
  return scrubbed
}
