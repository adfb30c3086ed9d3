import { randomUUID } from 'node:crypto'
import type { CeremonyAttempt } from './ceremony/ceremony-attempt.ts'
import { OperationTokenStore } from './ceremony/operation-token-store.ts'
import { initialiseSealShares } from './ceremony/seal-shares.ts'
import type { ActivationKeyPair } from './dr/public-key-activation.ts'
import type { ResolvedOptions } from './options.ts'
import {
  type CertificateAuthority,
  type CertifiedKey,
  createCertificateAuthority,
  createClusterCertificate,
} from './replication/ca.ts'
import { ClusterListener } from './replication/cluster-listener.ts'
import { createWrappingKey } from './replication/jwt.ts'
import { PrimarySessions } from './replication/primary-sessions.ts'
import { SecondaryLink } from './replication/secondary-link.ts'
import type { DrState, PrimaryDrState } from './state.ts'
import { ReplicatedStorage } from './storage.ts'
import { TokenStore } from './tokens/token-store.ts'
import { WrappingStore } from './wrapping/wrapping-store.ts'

/** Flags the fault API flips at run time. */
export interface Runtime {
  sealed: boolean
  initialized: boolean
  enterprise: boolean
  latencyMs: number
  /** When merkle-check last ran (last_corruption_check_epoch). */
  lastCorruptionCheck: Date | undefined
  /** The replicated merkle tree is corrupted (faults.corruptMerkleTree): status and merkle-check say so until a reindex. */
  merkleCorrupted: boolean
  /** What autopilot reports of the cluster's raft (faults.setRaftHealthy): false as when voters are lost. */
  raftHealthy: boolean
  /** Cut off from the network ('refuse': nothing listens; 'drop': everything is accepted and never answered). */
  isolation: 'refuse' | 'drop' | undefined
  /** Until this epoch-ms the cluster has no active node, or answers as sealed (compat.unavailability). */
  unavailableUntil: number
  activeSince: Date
}

export interface Addresses {
  apiUrl: string
  clusterUrl: string
  /** api_addr: undefined when the cluster has none. */
  apiAdvertise: string | undefined
  clusterAdvertise: string
}

/** Everything one emulated cluster owns; handed to the API routes and the DR services. */
export interface ClusterContext {
  options: ResolvedOptions
  /** The local cluster id (sys/health cluster_id), distinct from the replication set's id. */
  localClusterId: string
  storage: ReplicatedStorage
  tokens: TokenStore
  /** The key pair of the last secondary/generate-public-key (kept in memory, across role changes). */
  activationKey: ActivationKeyPair | undefined
  /** DR operation tokens from the key-share ceremony (local to this cluster). */
  operationTokens: OperationTokenStore
  /** The unseal key shares made at start (base64), handed out once through the cluster handle; never logged. */
  unsealKeys: string[]
  /** The key-share ceremony in progress on this cluster, if any (one at a time). */
  ceremony: CeremonyAttempt | undefined
  wrapping: WrappingStore
  /** The certificate the cluster listener presents. */
  identity: CertifiedKey
  runtime: Runtime
  dr: DrState
  addrs: Addresses
  clusterListener: ClusterListener
  primarySessions: PrimarySessions
  secondaryLink: SecondaryLink
  log: (line: string) => void
}

export async function createContext(options: ResolvedOptions): Promise<ClusterContext> {
  const log = (line: string) => options.logger(`[${options.name}] ${line}`)
  const storage = new ReplicatedStorage({ walBufferEntries: options.walBufferEntries })
  const tokens = new TokenStore(storage)
  tokens.initialise(options.rootToken)
  const unsealKeys = initialiseSealShares(storage, options.keyShares, options.keyThreshold)
  const addrs: Addresses = { apiUrl: '', clusterUrl: '', apiAdvertise: undefined, clusterAdvertise: '' }
  const [identity, wrappingKey] = await Promise.all([createClusterCertificate(), createWrappingKey()])
  // The replication parts read the context lazily (closures), so they can be built before it.
  const primarySessions = new PrimarySessions({
    storage,
    primaryState: () => primaryState(ctx),
    advertised: () => ({
      primaryApiAddr: addrs.apiAdvertise ?? '',
      primaryClusterAddrs: [addrs.clusterAdvertise, ...options.standbyClusterAddrs],
    }),
    timings: options.timings,
    messages: options.compat.messages,
    log,
  })
  const secondaryLink = new SecondaryLink({
    storage,
    timings: options.timings,
    bootstrappingState: options.compat.bootstrappingState,
    lostPrimaryState: options.compat.lostPrimaryState,
    advertised: () => ({ apiAddr: addrs.apiAdvertise ?? '', clusterAddr: addrs.clusterAdvertise }),
    log,
  })
  const clusterListener = new ClusterListener(
    {
      identity,
      replicationCaPem: () => primaryState(ctx)?.ca.certPem,
      // Only an active node serves replication: not while sealed or while there is no active node.
      servesDr: () => primaryState(ctx) !== undefined && !isSealed(ctx) && !isLeaderless(ctx) && ctx.runtime.enterprise,
      onDrConnection: (socket) => primarySessions.accept(socket),
      log,
    },
    options.cluster,
  )
  const ctx: ClusterContext = {
    options,
    localClusterId: randomUUID(),
    storage,
    tokens,
    activationKey: undefined,
    operationTokens: new OperationTokenStore(),
    unsealKeys,
    ceremony: undefined,
    wrapping: new WrappingStore({
      key: wrappingKey,
      apiAddr: () => addrs.apiAdvertise,
      isLiveToken: (token) => tokens.lookup(token) !== undefined,
      messages: options.compat.messages,
    }),
    identity,
    runtime: {
      sealed: false,
      initialized: true,
      enterprise: options.enterprise,
      latencyMs: 0,
      lastCorruptionCheck: undefined,
      merkleCorrupted: false,
      raftHealthy: true,
      isolation: undefined,
      unavailableUntil: 0,
      activeSince: new Date(),
    },
    dr: { mode: 'disabled' },
    addrs,
    clusterListener,
    primarySessions,
    secondaryLink,
    log,
  }
  return ctx
}

export function primaryState(ctx: ClusterContext): PrimaryDrState | undefined {
  return ctx.dr.mode === 'primary' ? ctx.dr : undefined
}

/**
 * Where a new secondary dials first (the bootstrap package): primary_cluster_addr when set, else the cluster_addr.
 * Once connected it learns the cluster_addr of every primary node instead (known_primary_cluster_addrs: this node's,
 * then standbyClusterAddrs).
 */
export function firstDialAddrs(ctx: ClusterContext): string[] {
  const configured = primaryState(ctx)?.primaryClusterAddr
  return [configured || ctx.addrs.clusterAdvertise]
}

export function isSealed(ctx: ClusterContext): boolean {
  return ctx.runtime.sealed || (ctx.options.compat.unavailability === 'sealed' && inRestart(ctx))
}

/** The brief period after a role change, modelled as Vault's tooling sees it: unsealed, but no active node yet (D5). */
export function isLeaderless(ctx: ClusterContext): boolean {
  return !ctx.runtime.sealed && ctx.options.compat.unavailability === 'leaderless' && inRestart(ctx)
}

function inRestart(ctx: ClusterContext): boolean {
  return Date.now() < ctx.runtime.unavailableUntil
}

/** Vault restarts its internals after a role change: for restartMs there is no active node (or it seems sealed). */
export function beginRestart(ctx: ClusterContext): void {
  ctx.runtime.unavailableUntil = Date.now() + ctx.options.timings.restartMs
  ctx.runtime.activeSince = new Date()
}

/** Installs a new DR state and keeps the cluster port's trust and streams consistent with it. */
export function setDrState(ctx: ClusterContext, next: DrState): void {
  if (ctx.dr.mode === 'primary' && next.mode !== 'primary') ctx.primarySessions.endAll()
  ctx.dr = next
  ctx.clusterListener.refreshTrust()
}

export function newReplicationCa(ctx: ClusterContext): Promise<CertificateAuthority> {
  return createCertificateAuthority(`vault-sim replication CA ${ctx.options.name}`)
}
