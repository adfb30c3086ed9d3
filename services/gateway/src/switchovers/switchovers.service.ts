import { randomUUID } from 'node:crypto'
import { isCodedError } from '@vault-dr/core'
import { isArmed, readFence } from '../failovers/fence-record.ts'
import { GatewayErrors } from '../gateway-errors.ts'
import { refuseIfHeld } from '../operations/cluster-busy.ts'
import type { JournalKindName, OperationRecord } from '../operations/operation-record.ts'
import { pendingStep } from '../operations/step.ts'
import { newLeg } from '../role-changes/leg.ts'
import { inspectPair, type PairInspection } from './inspect-pair.ts'
import { bodyHash } from './operation-request.ts'
import { switchoverNeededS } from './switchover.kind.ts'
import type { SwitchoverDeps } from './switchover-deps.ts'
import { SwitchoverErrors } from './switchover-errors.ts'
import { describeLeg, switchoverSteps } from './switchover-plan.ts'
import type { CreateSwitchoverBody, RoleChangeData, SwitchoverPlan, SwitchoverSubject } from './switchovers.schemas.ts'

export type SwitchoversService = ReturnType<typeof createSwitchoversService>

/** The replay of an Idempotency-Key: the operation it made for the same body; another body is refused. */
export async function replayed(deps: SwitchoverDeps, kind: JournalKindName, key: string | undefined, body: object) {
  if (key === undefined) return undefined
  const earlier = await deps.store.operationByIdempotencyKey(key)
  if (earlier === undefined) return undefined
  if (earlier.kind !== kind || earlier.request_hash !== bodyHash(kind, body)) {
    throw GatewayErrors.idempotencyKeyReused(
      `Idempotency-Key was first used for ${earlier.kind} ${earlier.id} with another body`,
    )
  }
  return earlier
}

/**
 * A role change created under an Idempotency-Key: the operation the key made already for the same body, else
 * `create`'s. A refusal of `create` is checked against the key once more: the same request sent again while the first
 * was still being planned (its answer lost) would otherwise be refused by the very change the first one started.
 */
export async function createUnderKey(
  deps: SwitchoverDeps,
  kind: JournalKindName,
  key: string | undefined,
  body: object,
  create: () => Promise<{ created: boolean; operation: OperationRecord }>,
): Promise<{ created: boolean; operation: OperationRecord }> {
  const earlier = await replayed(deps, kind, key, body)
  if (earlier !== undefined) return { created: false, operation: earlier }
  try {
    return await create()
  } catch (err) {
    // The key's own answer first: its operation (the same body), or 422 (another body) rather than the refusal
    // that operation caused.
    const late = key === undefined ? undefined : await replayed(deps, kind, key, body).catch(keyReusedOnly)
    if (late !== undefined) return { created: false, operation: late }
    throw err
  }
}

/** A replay read that failed: thrown on when it is the key's reuse with another body, else no replay. */
function keyReusedOnly(err: unknown): undefined {
  if (isCodedError(err, GatewayErrors.idempotencyKeyReused.code)) throw err
  return undefined
}

/** A new pending operation record over the clusters it holds. */
export function newRoleChangeRecord(
  deps: SwitchoverDeps,
  kind: JournalKindName,
  body: object,
  key: string | undefined,
  p: { clusters: string[]; subject: Record<string, unknown>; data: RoleChangeData; steps: string[] },
): OperationRecord {
  const at = new Date(deps.now()).toISOString()
  return {
    id: randomUUID(),
    kind,
    state: 'pending',
    clusters: p.clusters,
    subject: p.subject,
    data: p.data,
    steps: p.steps.map(pendingStep),
    error: null,
    cancel_requested: false,
    idempotency_key: key ?? null,
    request_hash: key === undefined ? null : bodyHash(kind, body),
    created_at: at,
    updated_at: at,
    finished_at: null,
  }
}

/**
 * The pair a switchover or a drill would change, inspected, unless an unfinished operation holds one of its clusters:
 * refused then (409 GATEWAY_ERR_CLUSTER_BUSY naming it), as creating it would be, the named clusters before anything
 * is read (in a drill's hold the pair shows reversed, and would be judged so), the others once found.
 */
export async function inspectUnheldPair(
  deps: SwitchoverDeps,
  ask: { to: string; from?: string | undefined; roundTrip?: boolean },
  neededS: number,
): Promise<PairInspection> {
  await refuseIfHeld(deps.store, [ask.to, ...(ask.from === undefined ? [] : [ask.from])])
  const found = await inspectPair(deps, ask, neededS).catch(async (err: unknown) => {
    // Not found as a pair because a failover went away from it: the fence says why, and what ends it.
    const fence =
      isCodedError(err) && err.code === SwitchoverErrors.notAPair.code ? await readFence(deps.store, ask.to) : undefined
    if (fence === undefined || !isArmed(fence)) throw err
    throw SwitchoverErrors.notAPair(
      `${ask.to} is fenced: failover ${fence.failover_id} promoted ${fence.new_primary} in its place, and it follows no primary until it rejoins`,
      {
        fix: `Rejoin it first (POST /v1/rejoins naming ${ask.to}): it becomes ${fence.new_primary}'s DR secondary without a wipe, and can then be switched over to.`,
      },
    )
  })
  await refuseIfHeld(deps.store, [found.from, ...found.followers.map((f) => f.cluster)])
  return found
}

/** A role change whose checks failed is not created: the failed checks, and the first one's fix, say why. */
export function refuseFailedChecks(found: Pick<PairInspection, 'ok' | 'checks'>): void {
  if (found.ok) return
  const failed = found.checks.filter((c) => c.status === 'fail')
  throw SwitchoverErrors.preflightFailed(failed.map((c) => `${c.name}: ${c.detail}`).join('; '), {
    ...(failed[0]?.fix ? { fix: failed[0].fix } : {}),
  })
}

/** Plans (dry run) and starts switchovers; the operations engine runs them. */
export function createSwitchoversService(deps: SwitchoverDeps) {
  async function plan(body: CreateSwitchoverBody) {
    const neededS = (followers: number) => switchoverNeededS(deps, body.catch_up_timeout, followers)
    const found = await inspectUnheldPair(deps, body, neededS(1))
    const p = {
      from: found.from,
      to: found.to,
      followers: found.followers,
      preHook: body.pre_hook_url !== undefined,
      postHook: body.post_hook_url !== undefined,
    }
    return { found, steps: switchoverSteps(p) }
  }

  return {
    async plan(body: CreateSwitchoverBody): Promise<SwitchoverPlan> {
      const { found, steps } = await plan(body)
      return {
        ok: found.ok,
        from: found.from,
        to: found.to,
        followers: found.followers,
        steps,
        checks: found.checks,
        what_happens: [
          ...(body.pre_hook_url === undefined ? [] : ['call the pre-hook; a refusal stops here, nothing changed']),
          ...describeLeg(found, body.catch_up_timeout),
          ...(body.post_hook_url === undefined ? [] : ['call the post-hook with the result (a failure is a warning)']),
        ],
      }
    },

    /** created: a new switchover (202); a replay of its Idempotency-Key with the same body: the same one (200). */
    async create(body: CreateSwitchoverBody, key: string | undefined) {
      return createUnderKey(deps, 'switchover', key, body, async () => {
        const { found, steps } = await plan(body)
        refuseFailedChecks(found)
        const subject: SwitchoverSubject = {
          from: found.from,
          to: found.to,
          pre_hook_url: body.pre_hook_url ?? null,
          post_hook_url: body.post_hook_url ?? null,
          catch_up_timeout: body.catch_up_timeout,
        }
        const leg = {
          ...newLeg(found.from, found.to, found.toSecondaryId, found.followers),
          replication_cluster_id: found.replicationClusterId,
        }
        const record = newRoleChangeRecord(deps, 'switchover', body, key, {
          clusters: [found.from, found.to, ...found.followers.slice(1).map((f) => f.cluster)],
          subject,
          data: { legs: [leg], checks: found.checks, warnings: [], write_unavailable_ms: null, wals_lost: null },
          steps,
        })
        const { created, operation } = await deps.operations.start(record)
        return { created, operation: operation as OperationRecord }
      })
    },
  }
}
