import type {
  ActivateResult,
  ActivationState,
  AgentStatus,
  CeremonyProgress,
  ClearFenceResult,
  ClusterStatus,
  DrOperationToken,
  DrOperationTokenCheck,
  DrOperationTokenDeletion,
  EnablePrimaryRequest,
  EnablePrimaryResult,
  FenceRequest,
  FenceResult,
  LocalClusterProbe,
  MerkleCheckResult,
  ProbePrimaryRequest,
  ProbePrimaryResult,
  PromoteRequest,
  PublicKeyResult,
  RevokeSecondaryResult,
  RoleChangeResult,
  SecondaryToken,
  Serving,
  TokenInspection,
  UpdatePrimaryRequest,
  VaultTokenCheck,
  WriteCheckResult,
} from './agent-types.ts'

/** Where an agent is and how to authenticate to it; the token only ever lives in memory. */
export interface AgentTarget {
  cluster: string
  url: string
  token: string
}

/** Calls accept an AbortSignal so a stopping gateway can abandon them. */
type Sig = AbortSignal | undefined

export interface StatusOptions {
  /** Ask the agent to read Vault now (the default) rather than share a cached answer. */
  fresh?: boolean
  timeoutMs?: number
  /**
   * Marks the read as contact with the quorum side (x-vault-dr-contact: quorum), what a self-fencing agent counts:
   * only for a read made right after this gateway reached its store's quorum; `withinMs`, how long this gateway waits
   * for the answer (the agent counts none sent later).
   */
  quorumContact?: { withinMs: number }
}

export interface PrimaryStatusOptions extends StatusOptions {
  /** Only this secondary's entries in known_secondaries and secondaries (a primary may have thousands). */
  secondaryId?: string
}

/** The fencing epoch a mutating call is made under, sent as x-vault-dr-epoch; absent: the call is not fenced. */
export interface EpochOption {
  epoch?: number | undefined
}

export interface RoleChangeOptions extends EpochOption {
  signal?: AbortSignal | undefined
}

/** The fence calls and the role changes require the epoch: a call from a stale gateway must not act. */
export interface FenceOptions {
  epoch: number
  signal?: AbortSignal | undefined
}

/** Where the secondary's Vault reaches the primary's API, when not at the token's addr claim. */
export interface UnwrapAddress {
  primaryApiAddr?: string | undefined
}

export interface ActivateOptions extends UnwrapAddress, EpochOption {
  /** The name the agent keeps the activation under, to ask how it ended (activation()) if the answer is lost. */
  activationId?: string | undefined
}

export interface MintTokenRequest {
  secondary_id: string
  ttl: string
  /** A DR secondary's public key (generatePublicKey): the token comes back unwrapped, usable only by that cluster. */
  secondary_public_key?: string
}

/**
 * One agent, whatever role its cluster has now: both deployable agents serve every operation (after a role swap
 * the agent next to the new primary mints, revokes and demotes; the one next to the old primary re-points it).
 */
/** An agent's status as the gateway takes it: the parts newer than the cluster status may be absent. */
export type AgentStatusAnswer = ClusterStatus & Partial<Pick<AgentStatus, 'epoch' | 'fenced' | 'fence_on_isolation_ms'>>

export interface ClusterAgentClient {
  /**
   * The status carries `epoch`, the highest fencing epoch the agent has seen, `fenced`, the fence record or null, and
   * `fence_on_isolation_ms`, the agent's self-fencing setting (each absent from agents before it).
   */
  status(signal?: Sig, opts?: PrimaryStatusOptions): Promise<AgentStatusAnswer>
  /** Whether the agent's Vault token can do what its operations need (checkVaultToken). */
  vaultToken(signal?: Sig): Promise<VaultTokenCheck>
  /** Whether the cluster accepts writes now (checkClusterWrites): writable false with Vault's reason otherwise. */
  checkWrites(signal?: Sig): Promise<WriteCheckResult>
  enable(signal?: Sig, body?: EnablePrimaryRequest, opts?: EpochOption): Promise<EnablePrimaryResult>
  mintToken(body: MintTokenRequest, signal?: Sig, opts?: EpochOption): Promise<SecondaryToken>
  revoke(secondaryId: string, signal?: Sig, opts?: EpochOption): Promise<RevokeSecondaryResult>
  probeLocal(signal?: Sig): Promise<LocalClusterProbe>
  /** Issues a batch DR operation token (the policy and token role written when needed); the answer holds it once. */
  createDrOperationToken(body: { ttl?: string }, signal?: Sig, opts?: EpochOption): Promise<DrOperationToken>
  inspect(token: string, signal?: Sig, opts?: UnwrapAddress): Promise<TokenInspection>
  probePrimary(body: ProbePrimaryRequest, signal?: Sig): Promise<ProbePrimaryResult>
  activate(token: string, signal?: Sig, opts?: ActivateOptions): Promise<ActivateResult>
  /** How an activation sent to the agent stands (in flight, succeeded, failed, or unknown to that agent process). */
  activation(activationId: string, signal?: Sig): Promise<ActivationState>
  /** Checks a DR operation token against a DR secondary with a call that changes nothing. */
  checkDrOperationToken(token: string, signal?: Sig): Promise<DrOperationTokenCheck>
  /** Vault's merkle-check on a DR secondary, with the DR operation token in its body; changes nothing. */
  checkMerkle(drOperationToken: string, signal?: Sig): Promise<MerkleCheckResult>
  /** The key-share ceremony on a DR secondary: start (Vault makes the OTP, the agent keeps it), shares, cancel. */
  startCeremony(signal?: Sig, opts?: EpochOption): Promise<CeremonyProgress>
  /** The last share's answer holds the decoded DR operation token, once. */
  submitCeremonyShare(nonce: string, key: string, signal?: Sig, opts?: EpochOption): Promise<CeremonyProgress>
  cancelCeremony(signal?: Sig, opts?: EpochOption): Promise<{ cancelled: boolean }>
  /** Deletes a DR operation token (a ceremony's: it has no TTL) on a DR secondary; not_valid when Vault refused it. */
  deleteDrOperationToken(token: string, signal?: Sig, opts?: EpochOption): Promise<DrOperationTokenDeletion>
  /** Demotes the DR primary to a DR secondary (data kept); refused while the agent has a mint/revoke/activation in flight. */
  demote(body: Record<string, never>, opts: FenceOptions): Promise<RoleChangeResult>
  promote(body: PromoteRequest, opts: FenceOptions): Promise<RoleChangeResult>
  updatePrimary(body: UpdatePrimaryRequest, opts: FenceOptions): Promise<RoleChangeResult>
  generatePublicKey(opts?: RoleChangeOptions): Promise<PublicKeyResult>
  /**
   * Tells the agent its cluster was failed away from: it records the fence, demotes a DR primary (demoted: false
   * when it cannot yet; it retries by itself) and refuses every other change until demoted (AGENT_ERR_FENCED).
   */
  fence(body: FenceRequest, opts: FenceOptions): Promise<FenceResult>
  /** Clears the fence once the cluster rejoined as a DR secondary (refused while it may be a DR primary). */
  clearFence(opts: FenceOptions): Promise<ClearFenceResult>
  /** What the agent's load balancers' check (getServing) answers, 503 included: the answer carries its episode. */
  serving(signal?: Sig): Promise<Serving>
  /**
   * Confirms a DR primary's role from the store (its load balancers' check, getServing, then says 200): send only
   * for a cluster the store does not hold fenced, with `checked_at` when that was read and the `episode` getServing
   * answered before it.
   */
  confirmServing(body: { checked_at: string; episode: string }, opts: FenceOptions): Promise<Serving>
}

type PrimaryHalf = 'status' | 'enable' | 'mintToken' | 'revoke' | 'probeLocal' | 'vaultToken'
type SecondaryHalf = 'status' | 'inspect' | 'probePrimary' | 'activate' | 'activation' | 'vaultToken'

/**
 * The agent next to the cluster that starts as the primary, seen from the handshake: a ClusterAgentClient, of
 * which the handshake's calls are required (fakes written for the handshake implement just those).
 */
export type PrimaryAgentClient = Pick<ClusterAgentClient, PrimaryHalf> & Partial<ClusterAgentClient>
/** The agent next to the cluster that starts as a secondary, seen from the handshake (as PrimaryAgentClient). */
export type SecondaryAgentClient = Pick<ClusterAgentClient, SecondaryHalf> & Partial<ClusterAgentClient>

/** The seam between the gateway and its agents; tests inject fakes through buildApp's deps. */
export interface AgentClients {
  primary(target: AgentTarget): PrimaryAgentClient
  secondary(target: AgentTarget): SecondaryAgentClient
  /**
   * The agent of a cluster, whichever role it has now. createAgentClients always provides it; optional only so
   * that fakes written before it still compile: call it through clusterAgent().
   */
  cluster?(target: AgentTarget): ClusterAgentClient
  /** The cluster is no longer registered: close its connection pool once no call uses it (clients that pool). */
  release?(cluster: string): void
  close(): Promise<void>
}

/**
 * `agents.cluster(target)`; for AgentClients without it (fakes of the handshake's two halves), both halves merged,
 * where the methods neither half has are missing.
 */
export function clusterAgent(agents: AgentClients, target: AgentTarget): ClusterAgentClient {
  if (agents.cluster !== undefined) return agents.cluster(target)
  return { ...agents.secondary(target), ...agents.primary(target) } as ClusterAgentClient
}
