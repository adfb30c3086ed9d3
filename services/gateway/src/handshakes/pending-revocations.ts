import type { FastifyBaseLogger } from 'fastify'
import type { PrimaryAgentClient, SecondaryAgentClient } from '../agents/agent-clients.ts'
import { secondaryIdUse } from '../dr/pair-status.ts'
import { decideSecondaryId, notOursReason } from '../dr/secondary-id-policy.ts'
import type { HandshakeRecord, Store } from '../store/store.ts'

const RETRY_NOTE = 'An activation token'

/** The fix of a handshake that ended with an unused token whose id could not be revoked then. */
export function pendingRevocationFix(secondaryId: string, fix: string | null): string {
  const retry =
    `${RETRY_NOTE} for secondary id ${secondaryId} may still be valid on the primary: the gateway revokes the ` +
    'unused id as soon as both agents answer again (it retries while it runs; vault-dr handshake show <id> says when). ' +
    `To do it now by hand: vault write sys/replication/dr/primary/revoke-secondary id=${secondaryId} on the primary.`
  return fix === null ? retry : `${fix} ${retry}`
}

interface Deps {
  store: Store
  log: FastifyBaseLogger
  now: () => number
  agentsFor(hs: HandshakeRecord): Promise<{ primary: PrimaryAgentClient; secondary: SecondaryAgentClient }>
}

/**
 * Carries out the revocations that failed when their handshakes ended (an agent could not be asked): the id is
 * revoked only when it is still unused and ours, as at the end of a handshake, and the handshake says what was done.
 * Another handshake for the pair may have used the id since: then there is nothing to revoke.
 */
export async function retryPendingRevocations(deps: Deps, signal?: AbortSignal): Promise<void> {
  for (const hs of await deps.store.pendingRevocations()) {
    signal?.throwIfAborted()
    const id = hs.secondary_id
    try {
      // Checked before the id's use is read and again right before a revoke: a handshake of the same id may start.
      if (await heldByAnother(deps.store, hs)) continue
      const { primary, secondary } = await deps.agentsFor(hs)
      const pair = {
        primary: await primary.status(signal, { secondaryId: id }),
        secondary: await secondary.status(signal),
      }
      const use = secondaryIdUse(pair, id)
      const notOurs =
        use === 'unused'
          ? notOursReason(id, true, await deps.store.secondaryIdHistory(hs.primary, id, hs.id))
          : undefined
      const decision = decideSecondaryId(use, { notOurs })
      if (decision.kind === 'settling') continue
      let done = `nothing to revoke (the id is ${use})`
      if (decision.kind === 'not_ours') done = decision.why
      if (decision.kind === 'revoke') {
        // Another handshake of this primary and id under way may be minting or activating with it: left to it (it
        // revokes an unused id of ours itself before it mints), and looked at again once it has ended.
        if (await heldByAnother(deps.store, hs)) continue
        done = `revoked the unused secondary id ${id}`
        await primary.revoke(id, signal)
      }
      const at = new Date(deps.now()).toISOString()
      const error =
        hs.error === null
          ? null
          : { ...hs.error, detail: `${hs.error.detail}; later, at ${at}: ${done}`, fix: withoutRetryNote(hs.error.fix) }
      await deps.store.updateHandshake(hs.id, { revoke_pending: false, error }, at)
      deps.log.info({ handshake: hs.id, secondary_id: id, outcome: done }, 'pending revocation carried out')
    } catch (err) {
      signal?.throwIfAborted()
      deps.log.debug({ handshake: hs.id, err: (err as Error).message }, 'pending revocation still not possible')
    }
  }
}

/** Whether an unfinished handshake other than `hs` uses the same primary and secondary id (the store allows one). */
async function heldByAnother(store: Store, hs: HandshakeRecord): Promise<boolean> {
  const unfinished = await Promise.all(
    (['pending', 'running'] as const).map((state) => store.listHandshakes({ state, limit: 1_000 })),
  )
  return unfinished
    .flat()
    .some((other) => other.id !== hs.id && other.primary === hs.primary && other.secondary_id === hs.secondary_id)
}

/** The fix as it was before pendingRevocationFix added to it. */
function withoutRetryNote(fix: string | null): string | null {
  const at = fix?.indexOf(RETRY_NOTE) ?? -1
  if (fix === null || at < 0) return fix
  return fix.slice(0, at).trim() || null
}
