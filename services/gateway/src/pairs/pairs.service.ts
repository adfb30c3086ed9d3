import { isCodedError, withDeadline } from '@vault-dr/core'
import type { AgentClients } from '../agents/agent-clients.ts'
import type { ClusterStatus } from '../agents/agent-types.ts'
import type { AgentStatusAnswer } from '../agents/cluster-agent-client.ts'
import type { ClustersService } from '../clusters/clusters.service.ts'
import { secondaryVersionOrder } from '../dr/vault-versions.ts'
import type { TokenCustody } from '../dr-operation-tokens/token-custody.ts'
import { GatewayErrors } from '../gateway-errors.ts'
import type { PairMetrics } from '../metrics/gateway-metrics.ts'
import { heldAmong, refuseIfHeld } from '../operations/cluster-busy.ts'
import type { ClusterHolder, PairedSecondary, Store, StoredCluster, StoredDrToken } from '../store/store.ts'
import { raceAbort } from '../util/abort.ts'
import { type AutoFailoverBody, autoFailoverView, readAutoFailover, writeAutoFailover } from './pair-auto-failover.ts'
import { type FollowerVersion, pairChecks, type ReadinessSettings } from './pair-readiness.ts'
import { pairView, type Side } from './pair-view.ts'
import type { Pair, PairCheck, PairReadiness, TokenCheckView } from './pairs.schemas.ts'
import { DEFAULT_AUTO_FAILOVER_BLOCK_MS } from './pairs-defaults.ts'
import { PairsErrors } from './pairs-errors.ts'
import { primaryNodesCheck } from './primary-nodes.ts'
import { confirmPrimaries } from './primary-serving.ts'

export interface PairsServiceDeps {
  store: Store
  clusters: ClustersService
  agents: AgentClients
  custody: TokenCustody
  metrics: PairMetrics
  now: () => number
  /** Deadline of each agent's status read. */
  statusTimeoutMs: number
  /** VAULT_DR_OPERATION_TOKEN_MIN_REMAINING, in seconds. */
  tokenMinRemainingS: number
  /** Told of every pair view read (the failover's vantage history keeps what it saw). */
  observe?: (pair: Pair) => void
  /** VAULT_DR_AUTO_FAILOVER_BLOCK in ms: how long after a failover of a pair no automatic one may start. */
  autoFailoverBlockMs?: number
}

/** A pair as the store knows it: both clusters still registered with their roles. */
interface Resolved {
  names: PairedSecondary
  primary: StoredCluster
  secondary: StoredCluster
}

/** A pair's view and the primary's stored token (sealed) it was built with. */
interface Viewed {
  pair: Pair
  token: StoredDrToken | undefined
  /** The secondary's status, when its agent answered. */
  secondaryStatus: ClusterStatus | undefined
}

export type PairsService = ReturnType<typeof createPairsService>

/** How long a check of the same token on a secondary is reused. */
const CHECK_REUSE_MS = 5_000
/** How long a probe of the primary's other nodes from a secondary is reused: it opens connections to each. */
const NODES_REUSE_MS = 30_000

/**
 * Pairs: each registered secondary that a handshake (or since, a switchover or failover) paired with a registered
 * primary, shown from live status (the agents' shared reads), with the primary's DR operation token (never the
 * token). Readiness runs checks P1-P7.
 */
export function createPairsService(deps: PairsServiceDeps) {
  const { store, clusters, agents, custody, metrics, now, statusTimeoutMs } = deps
  /** Aborted when the gateway closes: calls to agents in flight end at once. */
  const closing = new AbortController()
  const { signal } = closing

  async function resolveAll(): Promise<Resolved[]> {
    const [paired, registered] = await Promise.all([store.pairedSecondaries(), store.listClusters()])
    const byName = new Map(registered.map((c) => [c.name, c]))
    // After a swap, the handshake that once joined the now-primary cluster is still its latest: the roles drop it.
    const out: Resolved[] = []
    for (const names of paired) {
      const primary = byName.get(names.primary)
      const secondary = byName.get(names.secondary)
      if (primary?.role === 'primary' && secondary?.role === 'secondary') out.push({ names, primary, secondary })
    }
    return out
  }

  async function resolve(secondary: string): Promise<Resolved> {
    const all = await resolveAll()
    const found = all.find((p) => p.names.secondary === secondary)
    if (found !== undefined) return found
    // A pair is named by its secondary: after a switchover or a failover, the cluster named is its primary now.
    const asPrimary = all.filter((p) => p.names.primary === secondary).map((p) => p.names.secondary)
    if (asPrimary.length > 0) {
      throw PairsErrors.pairNotFound(
        `${secondary} is the DR primary of the pair ${asPrimary.join(', ')} now; a pair is named by its secondary`,
        { fix: `Name the pair by its secondary: ask again with ${asPrimary[0]} in place of ${secondary}.` },
      )
    }
    const registered = await store.getCluster(secondary)
    throw PairsErrors.pairNotFound(
      registered === undefined
        ? `No pair has the secondary ${secondary}: no cluster of that name is registered`
        : `No pair has the secondary ${secondary}: it is registered (as ${registered.role}) but follows no registered primary (no handshake or rejoin made it a DR secondary of one, or it is a primary)`,
    )
  }

  async function side(cluster: StoredCluster, read: (signal: AbortSignal) => Promise<AgentStatusAnswer>) {
    try {
      const status = await withDeadline(statusTimeoutMs, signal, ({ signal: callSignal }) =>
        raceAbort(read(callSignal), callSignal),
      )
      return { status } as Side
    } catch (err) {
      const coded = isCodedError(err)
        ? err
        : GatewayErrors.agentTimeout(`The agent of ${cluster.name} gave no status within ${statusTimeoutMs} ms`)
      return { error: { code: coded.code, detail: coded.message } } as Side
    }
  }

  /** `held`: the operation holding a cluster of the pair, when the caller read it already (null: none). */
  async function view(p: Resolved, held?: ClusterHolder | null): Promise<Viewed> {
    const [primary, secondary, token] = await Promise.all([
      side(p.primary, (signal) =>
        agents
          .primary(clusters.targetOf(p.primary))
          .status(signal, { fresh: false, secondaryId: p.names.secondary_id, timeoutMs: statusTimeoutMs }),
      ),
      side(p.secondary, (signal) =>
        agents.secondary(clusters.targetOf(p.secondary)).status(signal, { fresh: false, timeoutMs: statusTimeoutMs }),
      ),
      custody.get(p.primary.name),
    ])
    const ceremony = await store.getCeremonyToken(p.names.secondary)
    const info = token === undefined ? null : custody.info(token)
    const pair = pairView(
      p.names,
      primary,
      secondary,
      info,
      now(),
      ceremony ? { created_at: ceremony.created_at } : null,
    )
    metrics.observePair(pair)
    deps.observe?.(pair)
    pair.auto_failover = await autoFailoverOf(p.names.secondary)
    const holder = held === undefined ? (await heldAmong(store, [p.primary.name, p.secondary.name]))?.holder : held
    pair.held_by = holder == null ? null : { id: holder.id, kind: holder.kind, state: holder.state }
    return { pair, token, secondaryStatus: 'status' in secondary ? secondary.status : undefined }
  }

  /** The pair's automatic failover setting and window; null when the store cannot say (no operations journal). */
  async function autoFailoverOf(secondary: string) {
    const blockMs = deps.autoFailoverBlockMs ?? DEFAULT_AUTO_FAILOVER_BLOCK_MS
    return autoFailoverView(store, secondary, blockMs, now()).catch(() => null)
  }

  /**
   * Each secondary's last check of a token, shared by concurrent callers and reused for CHECK_REUSE_MS while the token
   * is unexpired: readiness polled at any rate asks the secondary's Vault a bounded number of times.
   */
  const checks = new Map<string, { token: string; at: number; result: Promise<TokenCheckView> }>()

  async function checkOnSecondary(p: Resolved, token: StoredDrToken | undefined): Promise<TokenCheckView | null> {
    if (token === undefined) return null
    const key = `${token.primary}|${token.issued_at}`
    const last = checks.get(p.names.secondary)
    const fresh = now() - CHECK_REUSE_MS < (last?.at ?? Number.NEGATIVE_INFINITY)
    if (last?.token === key && fresh && Date.parse(token.expires_at) > now()) return last.result
    const result = askSecondary(p, token)
    checks.set(p.names.secondary, { token: key, at: now(), result })
    const outcome = await result
    // Only a valid answer is reused: a token issued a moment ago may be refused until its policy has replicated.
    if (outcome.outcome !== 'valid') checks.delete(p.names.secondary)
    return outcome
  }

  /** The primary's other nodes probed from the secondary, shared and reused for NODES_REUSE_MS per secondary. */
  const nodeProbes = new Map<string, { at: number; result: Promise<PairCheck> }>()
  function probeNodes(p: Resolved, secondaryStatus: ClusterStatus | undefined): Promise<PairCheck> {
    const last = nodeProbes.get(p.names.secondary)
    if (last !== undefined && now() - last.at < NODES_REUSE_MS && secondaryStatus !== undefined) return last.result
    const result = primaryNodesCheck(agents.secondary(clusters.targetOf(p.secondary)), secondaryStatus, signal)
    if (secondaryStatus !== undefined) nodeProbes.set(p.names.secondary, { at: now(), result })
    return result
  }

  async function askSecondary(p: Resolved, token: StoredDrToken): Promise<TokenCheckView> {
    const clear = custody.open(token)
    if (clear === undefined) {
      return {
        outcome: 'error',
        code: GatewayErrors.storeKeyMismatch.code,
        detail: 'The stored DR operation token cannot be decrypted with this store key.',
        fix: 'Start the gateway with the VAULT_DR_STORE_KEY the store was written with, or rotate the token.',
        raft: null,
      }
    }
    const client = agents.secondary(clusters.targetOf(p.secondary))
    if (client.checkDrOperationToken === undefined) {
      return {
        outcome: 'error',
        code: PairsErrors.drTokenUnsupported.code,
        detail: 'The secondary agent cannot check DR operation tokens.',
        fix: null,
        raft: null,
      }
    }
    try {
      const { outcome, code, detail, fix, raft } = await client.checkDrOperationToken(clear, signal)
      // An agent older than the raft field answers without it.
      return { outcome, code, detail, fix, raft: raft ?? null }
    } catch (err) {
      const coded = isCodedError(err) ? err : undefined
      return {
        outcome: 'error',
        code: coded?.code ?? 'GATEWAY_ERR_AGENT_FAILED',
        detail: `The secondary agent could not check the token: ${coded?.message ?? String(err)}`,
        fix: 'Check the secondary agent and its Vault answer (vault-dr clusters status <secondary>).',
        raft: null,
      }
    }
  }

  function settings(maxLagWals: number): ReadinessSettings {
    return { maxLagWals, maxLagAgeS: 60, tokenMinRemainingS: deps.tokenMinRemainingS }
  }

  /** The secondary's own status, as its agent shares it (undefined when it does not answer in time). */
  async function secondaryStatus(secondary: StoredCluster): Promise<ClusterStatus | undefined> {
    const read = await side(secondary, (callSignal) =>
      agents.secondary(clusters.targetOf(secondary)).status(callSignal, { fresh: false, timeoutMs: statusTimeoutMs }),
    )
    return 'status' in read ? read.status : undefined
  }

  /**
   * The versions of the primary's other DR secondaries, as their agents share their status (P5). Read only when this
   * pair's secondary runs a newer Vault than its primary (mid-upgrade): otherwise none that replicates from the primary
   * can be older than it, and the steady state costs no agent call.
   */
  async function followerVersions(
    p: Resolved,
    pair: Pair,
    all: () => Promise<readonly Resolved[]>,
  ): Promise<FollowerVersion[]> {
    if ((secondaryVersionOrder(pair.versions.secondary, pair.versions.primary) ?? 0) <= 0) return []
    const others = (await all()).filter(
      (x) => x.names.primary === p.names.primary && x.names.secondary !== p.names.secondary,
    )
    return Promise.all(
      others.map(async (o) => ({
        name: o.names.secondary,
        version: (await secondaryStatus(o.secondary))?.vault.version ?? null,
      })),
    )
  }

  /**
   * Readiness of a pair, from a view just read when the caller has one. `all`: every pair, to find the primary's other
   * secondaries (read from the store when not given, and only if needed).
   */
  async function readinessOf(
    p: Resolved,
    maxLagWals: number,
    read?: Viewed,
    all?: readonly Resolved[],
  ): Promise<PairReadiness> {
    const { pair, token, secondaryStatus } = read ?? (await view(p))
    const [tokenCheck, nodes, followers] = await Promise.all([
      checkOnSecondary(p, token),
      probeNodes(p, secondaryStatus),
      followerVersions(p, pair, async () => all ?? (await resolveAll())),
    ])
    const checks = [...pairChecks(pair, tokenCheck, settings(maxLagWals), followers), nodes]
    const ready = checks.every((c) => c.status !== 'fail')
    metrics.observeReady(pair, ready)
    return { secondary: pair.secondary, primary: pair.primary, ready, checks, pair }
  }

  /** Issues (or re-issues when due, or always with `force`) the pair's primary's token, when the pair streams. */
  async function keepToken(p: Resolved, pair: Pair, force: boolean) {
    if (pair.clusters.secondary.state !== 'stream-wals' || pair.clusters.primary.mode !== 'primary') {
      throw PairsErrors.notStreaming(
        `Pair ${pair.secondary}: the secondary is in state ${pair.clusters.secondary.state ?? 'unknown'} and the primary in mode ${pair.clusters.primary.mode ?? 'unknown'}`,
      )
    }
    return custody.ensure(p.primary, pair.clusters.primary.replication_cluster_id, { force, signal })
  }

  return {
    async list(): Promise<Pair[]> {
      const all = await resolveAll()
      metrics.retainPairs(all.map((p) => p.names))
      return Promise.all(all.map(async (p) => (await view(p)).pair))
    },
    /** The pair's secondary cluster, or GATEWAY_ERR_PAIR_NOT_FOUND. */
    async secondaryOf(secondary: string) {
      return (await resolve(secondary)).secondary
    },
    /** The pair's clusters and the primary's other secondaries, from the store alone (no agent is asked). */
    async members(secondary: string) {
      const all = await resolveAll()
      // Not found: resolve throws GATEWAY_ERR_PAIR_NOT_FOUND.
      const p = all.find((x) => x.names.secondary === secondary) ?? (await resolve(secondary))
      const others = all.filter((x) => x.names.primary === p.names.primary && x.names.secondary !== secondary)
      return { ...p, followers: others.map((x) => x.names.secondary), followerClusters: others.map((x) => x.secondary) }
    },
    secondaryStatus,
    async get(secondary: string): Promise<Pair> {
      return (await view(await resolve(secondary))).pair
    },
    /** Turns the pair's automatic failover on or off (kept in the store: every gateway sharing it sees it). */
    async setAutoFailover(secondary: string, body: AutoFailoverBody) {
      await resolve(secondary)
      const before = await readAutoFailover(store, secondary)
      await writeAutoFailover(store, secondary, {
        enabled: body.enabled,
        down_for: body.down_for,
        last_fired_at: before.last_fired_at,
        updated_at: new Date(now()).toISOString(),
      })
      return autoFailoverView(store, secondary, deps.autoFailoverBlockMs ?? DEFAULT_AUTO_FAILOVER_BLOCK_MS, now())
    },
    async readiness(secondary: string, maxLagWals: number): Promise<PairReadiness> {
      return readinessOf(await resolve(secondary), maxLagWals)
    },
    /**
     * After a handshake joined `names`: the primary's token issued when none is kept or it is due (as the upkeep
     * does), when the pair streams; read from its two clusters alone, not by listing every pair (a fleet of handshakes
     * each ends with this).
     */
    async keepTokenOfJoined(names: PairedSecondary) {
      const [primary, secondary] = await Promise.all([
        store.getCluster(names.primary),
        store.getCluster(names.secondary),
      ])
      if (primary?.role !== 'primary' || secondary?.role !== 'secondary') {
        throw PairsErrors.pairNotFound(`${names.primary} and ${names.secondary} are no longer a registered pair`)
      }
      // Not while an operation created the moment the handshake ended changes the pair, as the upkeep: its last step
      // issues a token itself, and one issued here beside it could be left valid in Vault, known to no one.
      if ((await heldAmong(store, [primary.name, secondary.name])) !== undefined) return { rotated: undefined }
      const p: Resolved = { names, primary, secondary }
      const { pair } = await view(p)
      return keepToken(p, pair, false)
    },
    /** On demand: a new token on the pair's primary, kept with the one before, and checked on the secondary. */
    async rotate(secondary: string) {
      const p = await resolve(secondary)
      // A role change under way on the pair would have the token issued by a primary it is demoting.
      await refuseIfHeld(store, [p.primary.name, p.secondary.name])
      const { pair } = await view(p)
      const { token } = await keepToken(p, pair, true)
      const check = (await checkOnSecondary(p, token)) ?? {
        outcome: 'error' as const,
        code: 'DR_TOKEN_MISSING',
        detail: 'No token was kept.',
        fix: null,
        raft: null,
      }
      return { secondary, primary: p.primary.name, token: custody.info(token), check }
    },
    /**
     * One round of upkeep: for every pair that streams, its primary's token is issued or re-issued when due (once per
     * primary), then checked on the secondary; readiness metrics are updated. Failures are reported, not thrown.
     */
    /** Ends the agent calls in flight (the gateway is closing). */
    close() {
      closing.abort()
    },
    async upkeep(maxLagWals = 100): Promise<Array<{ secondary: string; error?: string; rotated?: string }>> {
      const pairs = await resolveAll()
      metrics.retainPairs(pairs.map((p) => p.names))
      const primaries = new Map(pairs.map((p) => [p.primary.name, clusters.targetOf(p.primary)]))
      const confirming = confirmPrimaries({ store, agents, now, signal }, [...primaries.values()]).catch(() => [])
      const [outcomes] = await Promise.all([
        Promise.all(
          pairs.map(async (p) => {
            try {
              // No token while an operation changes the pair (its last step issues one itself); its readiness is
              // still read, so that a pair held for long (a drill's hold, a stuck failover) shows as it is.
              const held = (await heldAmong(store, [p.primary.name, p.secondary.name]))?.holder ?? null
              if (held !== null) {
                await view(p, held)
                  .then((read) => readinessOf(p, maxLagWals, read, pairs))
                  .catch(() => undefined)
                return { secondary: p.names.secondary }
              }
              const read = await view(p, null)
              const { token, rotated } = await keepToken(p, read.pair, false)
              // A token issued just now is not in the view yet: the view is read again only then.
              await readinessOf(p, maxLagWals, rotated === undefined ? { ...read, token } : undefined, pairs)
              return { secondary: p.names.secondary, ...(rotated === undefined ? {} : { rotated }) }
            } catch (err) {
              const code = isCodedError(err) ? err.code : 'GATEWAY_ERR_INTERNAL'
              await readinessOf(p, maxLagWals, undefined, pairs).catch(() => undefined)
              return { secondary: p.names.secondary, error: code }
            }
          }),
        ),
        confirming,
      ])
      return outcomes
    },
  }
}
