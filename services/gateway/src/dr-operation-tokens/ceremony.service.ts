import { setTimeout as sleep } from 'node:timers/promises'
import { type CodedError, isCodedError } from '@vault-dr/core'
import type { FastifyBaseLogger } from 'fastify'
import type { AgentClients } from '../agents/agent-clients.ts'
import type { ClusterRole } from '../clusters/clusters.schemas.ts'
import type { ClustersService } from '../clusters/clusters.service.ts'
import { callFenced } from '../failovers/epoch-floor.ts'
import { GatewayErrors } from '../gateway-errors.ts'
import { refuseIfHeld } from '../operations/cluster-busy.ts'
import { PairsErrors } from '../pairs/pairs-errors.ts'
import type { SecretBox } from '../store/secret-box.ts'
import type { Store, StoredCeremonyToken, StoredCluster } from '../store/store.ts'

/** The agent's refusals, as the gateway's own 4xx answers (the agent's code kept in upstream). */
const AGENT_REFUSALS = {
  SECONDARY_ERR_CEREMONY_SHARE_REJECTED: PairsErrors.ceremonyShareRejected,
  SECONDARY_ERR_CEREMONY_IN_PROGRESS: PairsErrors.ceremonyInProgress,
  SECONDARY_ERR_CEREMONY_UNKNOWN: PairsErrors.ceremonyUnknown,
  SECONDARY_ERR_CEREMONY_AUTH_REQUIRED: PairsErrors.ceremonyAuthRequired,
} as const

function asRefusal(err: unknown): never {
  const code = isCodedError(err) ? (err as CodedError).upstream?.code : undefined
  const refusal = code === undefined ? undefined : AGENT_REFUSALS[code as keyof typeof AGENT_REFUSALS]
  if (refusal === undefined) throw err
  const coded = err as CodedError
  throw refusal(coded.message, coded.upstream === undefined ? { cause: err } : { cause: err, upstream: coded.upstream })
}

/** The waits before each try to store a ceremony's token: a second and a quarter in all, then it is deleted. */
const KEEP_RETRY_MS = [0, 250, 1_000]

export const ceremonyOwner = (secondary: string) => `dr-ceremony-token/${secondary}`

export interface CeremonyDeps {
  store: Store
  box: SecretBox
  agents: AgentClients
  clusters: ClustersService
  now: () => number
  /** The pair's secondary cluster, or GATEWAY_ERR_PAIR_NOT_FOUND. */
  secondaryOf: (secondary: string) => Promise<StoredCluster>
  /** Where a raise of the store's fencing epoch above an agent's is told. */
  log?: Pick<FastifyBaseLogger, 'warn'>
}

/**
 * The key-share ceremony of a pair's secondary, relayed to its agent: the agent keeps the OTP, the shares pass
 * through, and the decoded token the agent answers after the last share is sealed in the store, never answered.
 */
export function createCeremonyService({ store, box, agents, clusters, now, secondaryOf, log }: CeremonyDeps) {
  async function client(secondary: string) {
    const c = agents.secondary(clusters.targetOf(await secondaryOf(secondary)))
    const { startCeremony: start, submitCeremonyShare: share, cancelCeremony: cancel } = c
    const { deleteDrOperationToken: del, checkDrOperationToken: check } = c
    if (start === undefined || share === undefined || cancel === undefined) {
      throw PairsErrors.drTokenUnsupported(`The agent of ${secondary} cannot run the key-share ceremony`)
    }
    // Each relayed call is fenced, as every call that changes a cluster is.
    const fenced = <T>(call: (epoch: number) => Promise<T>) => callFenced(store, c, call, { log })
    /** The epoch the last share was sent with: the delete of the token it made goes under it, reading no store. */
    let shareEpoch: number | undefined
    const deleteUnder = (token: string, epoch: number) => {
      if (del === undefined)
        throw PairsErrors.drTokenUnsupported(`The agent of ${secondary} cannot delete a DR operation token`)
      return del(token, undefined, { epoch })
    }
    return {
      start: () => fenced((epoch) => start(undefined, { epoch })),
      share: (nonce: string, key: string) =>
        fenced((epoch) => {
          shareEpoch = epoch
          return share(nonce, key, undefined, { epoch })
        }),
      cancel: () => fenced((epoch) => cancel(undefined, { epoch })),
      deleteToken: (token: string) => fenced((epoch) => deleteUnder(token, epoch)),
      /** A store that refuses writes may refuse reads too: the share's own epoch, current a moment ago, fences it. */
      deleteMadeToken: (token: string) =>
        shareEpoch === undefined ? fenced((epoch) => deleteUnder(token, epoch)) : deleteUnder(token, shareEpoch),
      checkToken: (token: string) => {
        if (check === undefined)
          throw PairsErrors.drTokenUnsupported(`The agent of ${secondary} cannot check a DR operation token`)
        return check(token)
      },
    }
  }
  /**
   * Seals the token the ceremony made in the store, retried a little; if the store still does not take it, the token
   * is deleted in Vault while it is in hand: with no TTL, it must never stay valid with no one holding it.
   */
  async function keep(secondary: string, token: string, c: Awaited<ReturnType<typeof client>>) {
    const sealed = box.seal(token, ceremonyOwner(secondary))
    let failure: unknown
    for (const wait of KEEP_RETRY_MS) {
      await sleep(wait)
      try {
        await store.putCeremonyToken({ secondary, token_sealed: sealed, created_at: new Date(now()).toISOString() })
        return
      } catch (err) {
        failure = err
      }
    }
    const deleted = await c.deleteMadeToken(token).then(
      (answer) => answer.outcome === 'deleted',
      () => false,
    )
    const cause = isCodedError(failure) ? failure.code : failure instanceof Error ? failure.message : 'no answer'
    const why = `The gateway's store did not take the token the ceremony on ${secondary} made (${cause})`
    if (deleted) throw PairsErrors.ceremonyTokenNotKept(`${why}; it was deleted in Vault: no token is left valid`)
    throw PairsErrors.ceremonyTokenNotKept(
      `${why}, and ${secondary} did not delete it in Vault either: it may stay valid there, with no TTL and no one holding it`,
      {
        fix: `Bring the store back, then run the ceremony again. The lost token cannot be deleted without itself: activating ${secondary} again (a handshake) wipes it, as it wipes every token of that cluster.`,
      },
    )
  }

  return {
    /** Refused while a token of an earlier ceremony is kept: replaced, it would stay valid in Vault, held by no one. */
    async start(secondary: string) {
      const kept = await store.getCeremonyToken(secondary)
      if (kept !== undefined) {
        throw PairsErrors.ceremonyTokenKept(
          `The gateway keeps the token of a ceremony on ${secondary} made at ${kept.created_at}`,
          {
            fix: `It has no TTL: delete it first (vault-dr dr-token ceremony ${secondary} --delete), then start again.`,
          },
        )
      }
      return (await client(secondary)).start().catch(asRefusal)
    },
    async share(secondary: string, nonce: string, key: string) {
      const c = await client(secondary)
      const { token, ...progress } = await c.share(nonce, key).catch(asRefusal)
      if (progress.complete && token !== undefined) await keep(secondary, token, c)
      return progress
    },
    async cancel(secondary: string) {
      return (await client(secondary)).cancel().catch(asRefusal)
    },
    /**
     * Deletes the kept ceremony token in Vault (it has no TTL), then forgets it: refused while an operation holds the
     * secondary (a failover may be sending it). A token Vault refuses is not usable either, and is forgotten too.
     */
    async deleteToken(secondary: string): Promise<CeremonyTokenDeletion> {
      const c = await client(secondary).catch(async (err: unknown) => {
        const kept = isCodedError(err, PairsErrors.pairNotFound.code)
          ? await store.getCeremonyToken(secondary)
          : undefined
        throw kept === undefined ? err : notOnSecondary(secondary, kept, (await store.getCluster(secondary))?.role)
      })
      await refuseIfHeld(store, [secondary])
      const kept = await store.getCeremonyToken(secondary)
      if (kept === undefined) {
        return { outcome: 'none_kept', detail: `The gateway keeps no ceremony token for ${secondary}.` }
      }
      const token = box.open(kept.token_sealed, ceremonyOwner(secondary))
      if (token === undefined) {
        throw GatewayErrors.storeKeyMismatch(`The ceremony token kept for ${secondary} cannot be decrypted`)
      }
      const answer = await c.deleteToken(token)
      // Refused: forgotten only once the secondary's own check refuses the token too (a 403 from elsewhere, or for
      // another reason, must not leave a token with no TTL valid in Vault and held by no one).
      const check = answer.outcome === 'not_valid' ? (await c.checkToken(token)).outcome : 'invalid'
      if (check !== 'invalid') {
        throw PairsErrors.ceremonyTokenNotDeleted(
          check === 'valid'
            ? `${secondary} refused to delete the ceremony token made at ${kept.created_at}, yet accepts it: the gateway keeps it`
            : `${secondary} refused to delete the ceremony token made at ${kept.created_at}, and its check cannot say whether it still accepts it: the gateway keeps it`,
        )
      }
      // The one just deleted in Vault: a token kept since in its place (another gateway's ceremony) stays.
      await store.deleteCeremonyToken(secondary, kept.created_at)
      return answer.outcome === 'deleted'
        ? {
            outcome: 'deleted',
            detail: `${secondary} deleted the ceremony token made at ${kept.created_at}; the gateway no longer keeps it.`,
          }
        : {
            outcome: 'not_valid',
            detail: `${secondary} no longer accepts the ceremony token made at ${kept.created_at} (deleted already, perhaps by an earlier attempt of this delete, or wiped by an activation); the gateway no longer keeps it.`,
          }
    },
  }
}
export type CeremonyService = ReturnType<typeof createCeremonyService>

/**
 * A token kept for a cluster that is no pair's secondary now: promoted since (a failover that may have used it, or a
 * switchover), deregistered, or its primary deregistered. Vault deletes it on a DR secondary only, through the agent of
 * a registered pair's secondary, and it lives on in the cluster (no TTL), valid again once it is a DR secondary.
 */
function notOnSecondary(secondary: string, kept: StoredCeremonyToken, role: ClusterRole | undefined) {
  const when =
    role === undefined
      ? `${secondary} is not registered now: register it again (POST /v1/clusters), then`
      : role === 'primary'
        ? `${secondary} is a DR primary now (promoted since): once it is a DR secondary again (a failback, or vault-dr rejoin),`
        : `${secondary} is in no pair now (its primary is not registered): once it is paired again,`
  return PairsErrors.ceremonyTokenNotOnSecondary(
    `The gateway keeps the ceremony token made on ${secondary} at ${kept.created_at}, but ${secondary} is not a pair's DR secondary now`,
    {
      fix: `Vault deletes a DR operation token on a DR secondary only. ${when} run vault-dr dr-token ceremony ${secondary} --delete. The token stays sealed in the gateway meanwhile.`,
    },
  )
}

export interface CeremonyTokenDeletion {
  outcome: 'deleted' | 'not_valid' | 'none_kept'
  detail: string
}
