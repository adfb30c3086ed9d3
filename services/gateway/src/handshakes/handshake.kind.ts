import type { FastifyBaseLogger } from 'fastify'
import type { AgentClients } from '../agents/agent-clients.ts'
import type { ClustersService } from '../clusters/clusters.service.ts'
import type { HandshakeSettings } from '../config.ts'
import { handshakeJournal } from '../operations/journals.ts'
import { stopIfPastLease } from '../operations/lease-watch.ts'
import type { OperationKind } from '../operations/operation-kind.ts'
import type { OperationFamily } from '../operations/operation-runner.ts'
import { HANDSHAKE_FAMILY } from '../operations/operations.service.ts'
import type { HandshakeRecord, Store } from '../store/store.ts'
import { epochAgents } from './epoch-agents.ts'
import type { StepContext } from './handshake-context.ts'
import type { StepName } from './handshakes.schemas.ts'
import { pendingRevocationFix, retryPendingRevocations } from './pending-revocations.ts'
import { revokeUnused } from './secondary-id-revocation.ts'
import { rememberingAgents, StatusMemo } from './status-memo.ts'
import { STEPS } from './steps/index.ts'
import { TokenKeeper } from './token-keeper.ts'

export interface HandshakeKindDeps {
  store: Store
  clusters: ClustersService
  agents: AgentClients
  settings: HandshakeSettings
  /** Once a handshake succeeded: the pair's DR operation token issued at once (else the pairs upkeep's next round). */
  afterSuccess?: ((hs: HandshakeRecord) => Promise<void>) | undefined
}

/** Added to the outcome of a step a cancellation arrived too late to stop. */
const LATE_CANCEL =
  ' (cancel requested once activate_secondary had started: past the point of no return, the secondary may be wiped, so the handshake ran to its end)'

/**
 * Both agents of a handshake, resolved now (a cluster deleted or of another role since: a coded error), their calls
 * that change a cluster fenced by the store's epoch as it is now (epochAgents).
 */
export async function handshakeAgents(
  deps: HandshakeKindDeps,
  hs: Pick<HandshakeRecord, 'primary' | 'secondary'>,
  log?: FastifyBaseLogger,
  reconfirm?: () => Promise<void>,
) {
  const { clusters, agents } = deps
  const [primary, secondary, epoch] = await Promise.all([
    clusters.resolve(hs.primary, 'primary'),
    clusters.resolve(hs.secondary, 'secondary'),
    deps.store.currentEpoch(),
  ])
  const resolved = {
    primary: agents.primary(clusters.targetOf(primary)),
    secondary: agents.secondary(clusters.targetOf(secondary)),
  }
  return epochAgents(resolved, deps.store, epoch, log, reconfirm)
}

/** The handshake as an operation kind: its six steps, its context, and the revocation of an unused id as its undo. */
export function handshakeKind(deps: HandshakeKindDeps): OperationKind<HandshakeRecord, StepContext> {
  return {
    kind: 'handshake',
    createdBy: 'POST /v1/handshakes',
    step: (name) => {
      const spec = STEPS[name as StepName]
      if (spec === undefined) throw new Error(`a handshake has no step ${name}`)
      return spec
    },
    async context(run) {
      const record = run.record()
      const statuses = new StatusMemo()
      // An empty save is a write fenced by the lease: it proves this process still runs the handshake.
      const reconfirm = () => run.save({})
      const agents = rememberingAgents(
        await handshakeAgents(deps, record, run.log, reconfirm),
        statuses,
        record.secondary_id,
      )
      return {
        get hs() {
          return run.record()
        },
        get signal() {
          return run.signal()
        },
        ...agents,
        statuses,
        tokens: new TokenKeeper(),
        settings: deps.settings,
        forgetCeremonyToken: async () => {
          // Only when this handshake's own activation wiped the secondary (one found by status or while minting,
          // none sent by it, came at a time no one recorded: a token made since is live), and only a token made
          // before that activation was sent: one made since, after another gateway finished this handshake while this
          // process was frozen, is valid in Vault with no TTL and must stay held. The delete compares it too, and a
          // run past its lease deletes nothing (a write outside the lease's fencing: another table).
          const hs = run.record()
          if (hs.activation === null) return
          const kept = await deps.store.getCeremonyToken(hs.secondary)
          if (kept === undefined || kept.created_at >= hs.activation.sent_at) return
          stopIfPastLease(run.signal())
          await deps.store.deleteCeremonyToken(hs.secondary, kept.created_at)
        },
        secondaryIdHistory: () => {
          const hs = run.record()
          return deps.store.secondaryIdHistory(hs.primary, hs.secondary_id, hs.id)
        },
        now: run.now,
        log: run.log,
        save: (patch, event) => run.save(patch, event),
      }
    },
    async compensate(ctx) {
      const revoked = await revokeUnused(ctx)
      if (!revoked.pending) return { note: revoked.note }
      return {
        note: revoked.note,
        fix: pendingRevocationFix(ctx.hs.secondary_id, null),
        patch: { revoke_pending: true },
      }
    },
    lateCancelNote: LATE_CANCEL,
    ...(deps.afterSuccess === undefined ? {} : { afterSuccess: deps.afterSuccess }),
  }
}

/** The handshake table and its kind, for the runner; revocations a handshake could not make are retried each scan. */
export function handshakeFamily(
  deps: HandshakeKindDeps,
  chores: Pick<Parameters<typeof retryPendingRevocations>[0], 'log' | 'now'>,
) {
  const kind = handshakeKind(deps)
  const family: OperationFamily<HandshakeRecord> = {
    name: HANDSHAKE_FAMILY,
    journal: handshakeJournal(deps.store),
    kindOf: () => kind,
  }
  const upkeep = (signal: AbortSignal) =>
    retryPendingRevocations(
      { ...chores, store: deps.store, agentsFor: (hs) => handshakeAgents(deps, hs, chores.log) },
      signal,
    )
  return { family, upkeep }
}
