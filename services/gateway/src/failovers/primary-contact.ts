import type { FastifyBaseLogger } from 'fastify'
import { z } from 'zod'
import type { ClusterStatus } from '../agents/agent-types.ts'
import { parseMetaRecord } from '../store/meta-record.ts'
import type { StoredCluster } from '../store/store.ts'
import { repeatRounds } from '../util/repeat-rounds.ts'
import { type FenceMeta, readFences } from './fence-record.ts'

/**
 * How recent another gateway's contact with a primary must be to count as "it still reaches it": a few of its rounds
 * (VAULT_DR_PRIMARY_CONTACT_MS, at most 3 s) and a margin for a slow store.
 */
export const PEER_CONTACT_FRESH_MS = 10_000

/** The longest VAULT_DR_PRIMARY_CONTACT_MS: a third of the shortest self-fencing duration an agent accepts (10 s). */
export const MAX_PRIMARY_CONTACT_MS = 3_000

/** When a gateway last reached a primary's agent with its Vault answering as a DR primary. */
const ContactRecord = z.object({ gateway: z.string(), at: z.iso.datetime() })
export type ContactRecord = z.infer<typeof ContactRecord>

const contactPrefix = (cluster: string) => `contact/${cluster}/`
const contactKey = (cluster: string, gateway: string) => `${contactPrefix(cluster)}${gateway}`

/** Another gateway's last contact with the primary, as a time (ms). */
export interface PeerContact {
  gateway: string
  at: number
}

/** The contacts other gateways sharing the store recorded with `cluster` (this gateway's own left out). */
export async function peerContacts(store: FenceMeta, cluster: string, me: string): Promise<PeerContact[]> {
  const records = [...(await store.metaUnder(contactPrefix(cluster))).values()]
    .map((raw) => parseMetaRecord(ContactRecord, raw))
    .filter((r): r is ContactRecord => r !== undefined && r.gateway !== me)
  return records.map((r) => ({ gateway: r.gateway, at: Date.parse(r.at) }))
}

export interface PrimaryContactDeps {
  store: FenceMeta & { ping(): Promise<void>; listClusters(): Promise<StoredCluster[]> }
  /** An authenticated status read of the cluster's agent (what its isolation monitor counts as contact). */
  statusOf(cluster: StoredCluster, signal: AbortSignal): Promise<ClusterStatus>
  gatewayId: string
  intervalMs: number
  /** How long one agent may take to answer. */
  timeoutMs: number
  now: () => number
  log: FastifyBaseLogger
}

const alivePrimary = (s: ClusterStatus) =>
  s.vault.reachable && s.vault.sealed === false && s.replication?.mode === 'primary'

/**
 * Keeps in touch with every registered DR primary that is not fenced, every VAULT_DR_PRIMARY_CONTACT_MS, and only
 * while this gateway reaches the store's quorum (a linearizable read first): an agent that fences its cluster on
 * isolation counts these calls as the quorum side reaching it, so it fires only when no such gateway does (the pairs
 * upkeep, once a minute, is too rare for a fence of 10 s). Each contact with a live primary is written to the store
 * (`contact/<cluster>/<gateway>`), so a gateway that no longer reaches that primary knows another still does: a
 * partition between gateways' sites, not a lost site (judgePrimary).
 */
export function createPrimaryContact(deps: PrimaryContactDeps) {
  const closing = new AbortController()
  let quorumLost = false

  async function reach(cluster: StoredCluster): Promise<boolean> {
    const signal = AbortSignal.any([closing.signal, AbortSignal.timeout(deps.timeoutMs)])
    const status = await deps.statusOf(cluster, signal).catch(() => undefined)
    if (status === undefined || !alivePrimary(status)) return false
    const record: ContactRecord = { gateway: deps.gatewayId, at: new Date(deps.now()).toISOString() }
    await deps.store.setMeta(contactKey(cluster.name, deps.gatewayId), JSON.stringify(record))
    return true
  }

  async function round(): Promise<string[]> {
    try {
      await deps.store.ping()
    } catch (err) {
      if (!quorumLost)
        deps.log.warn({ err: (err as Error)?.message }, 'primary contact paused: the store does not answer')
      quorumLost = true
      return []
    }
    quorumLost = false
    const [clusters, fences] = await Promise.all([deps.store.listClusters(), readFences(deps.store)])
    const primaries = clusters.filter((c) => c.role === 'primary' && fences.get(c.name) === undefined)
    const reached = await Promise.all(primaries.map((c) => reach(c).catch(() => false)))
    return primaries.filter((_, i) => reached[i]).map((c) => c.name)
  }

  const rounds = repeatRounds({
    round,
    everyMs: deps.intervalMs,
    log: deps.log,
    what: 'primary contact',
    onStop: () => closing.abort(),
  })
  return { round, start: () => rounds.start(deps.intervalMs), stop: rounds.stop }
}
